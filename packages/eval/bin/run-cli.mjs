// What gqn-eval and gqn-render share: run one command of the built package as a process.
export async function runCli(name, entry) {
  // In a clone the commands run from the package's build: say so instead of a module-resolution stack.
  const cli = await import("../dist/cli.js").catch((error) => {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/cli.js")) throw error;
    console.error(`${name}: @gqn/eval is not built (no dist/). Run \`pnpm build\` at the repository root.`);
    process.exit(1);
  });
  // A closed pipe (`gqn-eval ... --json | head`) ends the command quietly, as Unix tools do.
  process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  process.exitCode = await cli[entry](process.argv.slice(2));
}
