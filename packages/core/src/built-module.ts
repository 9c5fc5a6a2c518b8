import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Where {@link findBuiltModule} looks, and for whom. */
export interface BuiltModuleQuery {
  /** The file in the package's `dist/`, e.g. `decode-worker.js`. */
  file: string;
  /** The calling module's `import.meta.url`. */
  callerUrl: string;
  /** The package that builds the file, e.g. `@gqn/data`: found through its installed manifest last. */
  packageName: string;
}

/**
 * A module a package builds for worker threads (they cannot import TypeScript sources). Looked
 * for beside the caller when it runs from `dist/` (the `.cjs` twin for a CommonJS caller), in
 * the package's `dist/` when the caller runs from `src/` (tests read sources), and in the
 * installed package's `dist/` (an application that bundled the caller).
 *
 * @returns the first that exists, and every place looked at (for the caller's error message).
 */
export function findBuiltModule(query: BuiltModuleQuery): { url: URL | undefined; looked: string[] } {
  const { file, callerUrl, packageName } = query;
  const candidates: URL[] = [];
  const caller = new URL(callerUrl);
  if (/\.(c?js|mjs)$/.test(caller.pathname)) {
    candidates.push(
      new URL(`./${caller.pathname.endsWith(".cjs") ? file.replace(/\.js$/, ".cjs") : file}`, caller),
    );
  } else {
    const src = caller.pathname.lastIndexOf("/src/");
    if (src >= 0) candidates.push(new URL(`${caller.pathname.slice(0, src)}/dist/${file}`, caller));
  }
  try {
    const manifest = createRequire(callerUrl).resolve(`${packageName}/package.json`);
    candidates.push(pathToFileURL(join(dirname(manifest), "dist", file)));
  } catch {
    // Not resolvable as a package from the caller: the places above are all there are.
  }
  return {
    url: candidates.find((url) => existsSync(fileURLToPath(url))),
    looked: candidates.map((url) => fileURLToPath(url)),
  };
}
