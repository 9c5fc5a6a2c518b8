// Runs a TypeScript bench from source (Node 20 cannot run .ts): bundles it with esbuild, @gqn
// packages read from src like the tests, everything else external, then runs it with the args.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

function external(name, dir) {
  if (name.startsWith("node:")) return name;
  try {
    return createRequire(join(dir, "noop.js")).resolve(name);
  } catch {
    return name;
  }
}

const [entry, ...args] = process.argv.slice(2);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(packageDir, "node_modules", ".cache", "gqn-train-bench");
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, `${basename(entry, ".ts")}.mjs`);
await build({
  entryPoints: [join(packageDir, entry)],
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
        // Each bundled source keeps its own import.meta.url (what it loads relative to itself).
        b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, (a) => ({
          contents: readFileSync(a.path, "utf8").replaceAll(
            "import.meta.url",
            JSON.stringify(pathToFileURL(a.path).href),
          ),
          loader: "ts",
        }));
        // Bare imports stay external, resolved from their importer (a dependency of another
        // workspace package is not resolvable from here); @gqn packages are bundled from source.
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path.startsWith("@gqn/") ? undefined : { path: external(a.path, a.resolveDir), external: true },
        );
      },
    },
  ],
});
const result = spawnSync(process.execPath, [outfile, ...args.filter((a) => a !== "--")], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
