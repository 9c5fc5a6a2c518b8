#!/usr/bin/env node
// gqn-train: train a GQN (see README.md).
// In a clone the command runs from the package's build: say so instead of a module-resolution stack.
const cli = await import("../dist/node.js").catch((error) => {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/node.js")) throw error;
  console.error("gqn-train: @gqn/train is not built (no dist/). Run `pnpm build` at the repository root.");
  process.exit(1);
});
// A closed pipe (`gqn-train ... | head`) ends the command quietly, as Unix tools do.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});
process.exitCode = await cli.runTrainCli(process.argv.slice(2));
