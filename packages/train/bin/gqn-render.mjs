#!/usr/bin/env node
// gqn-render: render test scenes and camera orbits with a trained GQN (see README.md).
import { runRenderCli } from "../dist/node.js";

process.exitCode = await runRenderCli(process.argv.slice(2));
