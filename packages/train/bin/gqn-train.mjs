#!/usr/bin/env node
// gqn-train: train a GQN (see README.md).
import { runCli } from "./run-cli.mjs";

await runCli("gqn-train", "runTrainCli");
