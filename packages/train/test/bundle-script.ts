import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * Bundles a TypeScript script for a child process (Node 20 cannot run .ts): @gqn packages are
 * read from source like in the tests, every other package stays external. The bundle is written
 * inside this package's node_modules so that Node resolves those externals from here.
 *
 * @returns the path of the runnable .mjs file.
 */
export async function bundleScript(entry: string): Promise<string> {
  const outDir = join(packageDir, "node_modules", ".cache", "gqn-train-test");
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${basename(entry, ".ts")}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@gqn/source"],
    logLevel: "error",
    plugins: [
      {
        name: "external-non-gqn",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("@gqn/") ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}
