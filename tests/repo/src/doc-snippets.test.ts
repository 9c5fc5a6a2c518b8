// Every TypeScript and JavaScript snippet in the READMEs and docs/ runs, as a reader would copy it:
// each is stripped of its types, written where `@gqn/*` resolves to the built workspace packages, and
// run in its own Node process (so one that forgets to initialise a backend fails). A snippet whose
// first line names a file (`// my-replica.js: ...`) is written under that name, so a later snippet of
// the same page can import it; one named `*.test.ts` runs under vitest. A block marked
// ```ts no-run <reason> is skipped; the reason is required.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { transformSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CodeBlock,
  codeBlocks,
  markdownFiles,
  noRunReason,
  readDoc,
  root,
  snippetFileName,
} from "./doc-files.js";

const RUNNABLE = new Set(["ts", "typescript", "js", "javascript"]);
/** Per snippet: they train a few steps on tiny shapes at most. */
const SNIPPET_TIMEOUT_MS = 120_000;
const workDir = join(root, "tests/repo/.snippets", String(process.pid));

const snippets = markdownFiles().flatMap((file) =>
  codeBlocks(file, readDoc(file)).filter((block) => RUNNABLE.has(block.lang)),
);

/** Runs one snippet; returns what failed ("" when it ran), naming the markdown file and line. */
function runSnippet(block: CodeBlock, index: number): string {
  const dir = join(workDir, block.file.replaceAll("/", "_"));
  mkdirSync(dir, { recursive: true });
  // Blank lines in front keep the snippet's line numbers those of the markdown file.
  const padded = "\n".repeat(block.line - 1) + block.code;
  const name = snippetFileName(block.code);
  let command: string[];
  if (name?.endsWith(".test.ts")) {
    writeFileSync(join(dir, name), padded);
    writeFileSync(join(dir, "vitest.config.mjs"), "export default { test: { include: ['*.test.ts'] } };\n");
    const vitest = join(root, "tests/repo/node_modules/vitest/vitest.mjs");
    command = [vitest, "run", name, "--root", dir, "--config", join(dir, "vitest.config.mjs")];
  } else {
    const js = transformSync(padded, {
      loader: block.lang.startsWith("t") ? "ts" : "js",
      format: "esm",
      sourcemap: "inline",
      sourcefile: join(root, block.file),
    }).code;
    const file = name ? name.replace(/\.[mc]?[jt]s$/, ".js") : `snippet-${index}.mjs`;
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(dir, file), js);
    command = ["--enable-source-maps", join(dir, file)];
  }
  const result = spawnSync(process.execPath, command, {
    cwd: dir,
    encoding: "utf8",
    timeout: SNIPPET_TIMEOUT_MS,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  if (result.status === 0) return "";
  // Lines cut short: a crash inside tfjs-backend-wasm prints its whole minified source line.
  const output = `${result.stdout}\n${result.stderr}`
    .trim()
    .split("\n")
    .slice(-25)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line))
    .join("\n");
  const why = result.error ? String(result.error) : `exit code ${result.status ?? result.signal}`;
  return `${block.file}:${block.line}: the ${block.lang} snippet failed (${why}):\n${output}`;
}

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("TypeScript and JavaScript snippets in the docs", () => {
  it("are found", () => {
    expect(snippets.length).toBeGreaterThan(15);
  });

  it("say why when they are not run", () => {
    const bare = snippets.filter((b) => noRunReason(b) === "").map((b) => `${b.file}:${b.line}`);
    expect(bare, "```ts no-run needs a reason after it").toEqual([]);
  });

  const runnable = snippets.map((block, index) => ({ block, index }));
  describe.each([...new Set(snippets.map((b) => b.file))])("%s", (file) => {
    for (const { block, index } of runnable.filter((s) => s.block.file === file)) {
      const reason = noRunReason(block);
      const title = `${basename(file)}:${block.line}${reason ? ` (not run: ${reason})` : ""}`;
      it.skipIf(reason !== undefined)(
        title,
        () => {
          expect(runSnippet(block, index)).toBe("");
        },
        SNIPPET_TIMEOUT_MS + 10_000,
      );
    }
  });
});

// Stock tfjs-backend-wasm cannot train (no Conv2DBackpropFilter): a reader of the DRAW and encoder
// pages learns that from the first snippet, before any other.
describe.each(["packages/draw/README.md", "packages/encoders/README.md", "docs/draw.md", "docs/encoders.md"])(
  "%s",
  (file) => {
    it("initialises the backend in its first TypeScript snippet", () => {
      const first = codeBlocks(file, readDoc(file)).find((block) => RUNNABLE.has(block.lang));
      expect(first?.code).toMatch(/await initBackend\(/);
    });
  },
);

describe("snippet markers", () => {
  it("read a reason and a file name", () => {
    expect(noRunReason({ info: "no-run browser only: IndexedDB" })).toBe("browser only: IndexedDB");
    expect(noRunReason({ info: "no-run" })).toBe("");
    expect(noRunReason({ info: "" })).toBeUndefined();
    expect(snippetFileName("// my-replica.js: plain JavaScript\nexport {}")).toBe("my-replica.js");
    expect(snippetFileName("// my-encoder.test.ts\n")).toBe("my-encoder.test.ts");
    expect(snippetFileName("// a comment\n")).toBeUndefined();
  });
});
