import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
          // Each bundled source keeps its own import.meta.url, so that what it loads relative to
          // itself (e.g. @gqn/data's createRequire of its JPEG decoder) still resolves.
          b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, async (args) => ({
            contents: (await readFile(args.path, "utf8")).replaceAll(
              "import.meta.url",
              JSON.stringify(pathToFileURL(args.path).href),
            ),
            loader: "ts",
          }));
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("@gqn/")
              ? undefined
              : { path: external(args.path, args.resolveDir), external: true },
          );
        },
      },
    ],
  });
  return outfile;
}

/**
 * Where a package imported from `dir` lives, as an absolute path: a dependency of another
 * workspace package (e.g. @gqn/data's JPEG codec) is not resolvable from this package. Falls back
 * to the bare name (ESM-only packages, Node built-ins).
 */
function external(name: string, dir: string): string {
  if (name.startsWith("node:")) return name;
  try {
    return createRequire(join(dir, "noop.js")).resolve(name);
  } catch {
    return name;
  }
}
