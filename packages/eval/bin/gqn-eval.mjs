#!/usr/bin/env node
// gqn-eval: score a trained GQN on a dataset split beside simple baselines (see README.md).
import { runCli } from "./run-cli.mjs";

await runCli("gqn-eval", "runEvalCli");
