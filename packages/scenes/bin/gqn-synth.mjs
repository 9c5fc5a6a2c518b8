#!/usr/bin/env node
// gqn-synth: render a synthetic GQN dataset (see README.md).
import { runSynthCli } from "../dist/node.js";

process.exitCode = await runSynthCli(process.argv.slice(2));
