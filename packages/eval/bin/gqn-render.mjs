#!/usr/bin/env node
// gqn-render: render test scenes and camera orbits with a trained GQN (see README.md).
import { runCli } from "./run-cli.mjs";

await runCli("gqn-render", "runRenderCli");
