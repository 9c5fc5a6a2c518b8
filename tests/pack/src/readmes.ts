// The package READMEs as a user of the packed packages reads them: their install lines, and the
// TypeScript snippets, which must run in a fresh npm project with nothing of this repository.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CodeBlock, codeBlocks, noRunReason, readDoc } from "../../repo/src/doc-files.js";
import { publicPackages, root } from "./tarballs.js";

/** Each public package's README, relative to the repository root. */
export const packageReadmes: string[] = publicPackages.map((pkg) =>
  join(pkg.dir, "README.md").slice(root.length).replace(/^\/+/, ""),
);

/** The pages of docs/ with runnable snippets, relative to the repository root. */
export const docPages: string[] = readdirSync(join(root, "docs"))
  .filter((name) => name.endsWith(".md"))
  .map((name) => `docs/${name}`)
  .filter((file) => runnableSnippets(file).length > 0);

/** The runnable `ts` and `js` blocks of a README, in order (a named one may be imported by a later one). */
export function runnableSnippets(file: string): CodeBlock[] {
  return codeBlocks(file, readDoc(file)).filter(
    (b) => (b.lang === "ts" || b.lang === "js") && noRunReason(b) === undefined,
  );
}

/** Every package its `npm install` lines name (versions stripped), from any shell block. */
export function installedByLines(file: string): string[] {
  const names: string[] = [];
  for (const block of codeBlocks(file, readDoc(file)).filter((b) => b.lang === "sh")) {
    for (const line of block.code.split("\n")) {
      const args = /^\s*npm install (.*)$/.exec(line)?.[1]?.replace(/#.*$/, "").trim();
      if (!args) continue;
      for (const arg of args.split(/\s+/).filter((a) => !a.startsWith("-"))) {
        names.push(arg.replace(/(.)@[^/]*$/, "$1"));
      }
    }
  }
  return names;
}

/** The packages a snippet imports (`@scope/name` or `name`, subpaths and node: builtins aside). */
export function importedPackages(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:from|import)\s+"([^"./][^"]*)"/g)) {
    const specifier = match[1] as string;
    if (specifier.startsWith("node:")) continue;
    const parts = specifier.split("/");
    found.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
  }
  return [...found];
}

/** What installing `names` brings: them and, for workspace packages, their dependencies, transitively. */
export function installClosure(names: readonly string[]): Set<string> {
  const manifests = new Map(
    publicPackages.map((pkg) => [
      pkg.name,
      JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      },
    ]),
  );
  const closure = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (closure.has(name)) continue;
    closure.add(name);
    queue.push(...Object.keys(manifests.get(name)?.dependencies ?? {}));
  }
  return closure;
}
