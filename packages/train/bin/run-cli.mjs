// Runs gqn-train, the CLI of the built package, as a process.
export async function runCli(name, entry) {
  // In a clone the CLI runs from the package's build: say so instead of a module-resolution stack.
  const cli = await import("../dist/node.js").catch((error) => {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/node.js"))
      throw error;
    console.error(`${name}: @gqn/train is not built (no dist/). Run \`pnpm build\` at the repository root.`);
    process.exit(1);
  });
  // A closed pipe (`gqn-eval ... --json | head`) ends the command quietly, as Unix tools do.
  process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  process.exitCode = await cli[entry](process.argv.slice(2));
}
