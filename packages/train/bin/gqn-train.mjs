#!/usr/bin/env node
// gqn-train: train a GQN (see README.md).
import { runTrainCli } from "../dist/node.js";

process.exitCode = await runTrainCli(process.argv.slice(2));
