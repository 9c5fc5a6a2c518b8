#!/usr/bin/env node
// gqn-eval: score a trained GQN on a dataset split beside simple baselines (see README.md).
import { runEvalCli } from "../dist/node.js";

process.exitCode = await runEvalCli(process.argv.slice(2));
