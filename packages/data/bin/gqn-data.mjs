#!/usr/bin/env node
// gqn-data: inspect, export and verify GQN TFRecord datasets; `gqn-data synth` renders one (see README.md).
import { runDataCli } from "../dist/node.js";

process.exitCode = await runDataCli(process.argv.slice(2));
