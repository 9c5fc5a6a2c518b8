// The public faces are reviewed: every package entry's exported declarations (from the built
// .d.ts) must match its committed report in api/, so a change of what users can import fails
// `pnpm test` until `pnpm api:update` rewrites the report and the change shows in review. No module
// exports a name that nothing imports, and no entry a name that nothing outside its package uses
// (tests aside); a fixture workspace shows that check failing.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs a repository script; its exit status and what it printed. */
function runScript(script: string, ...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe("the public faces", () => {
  it("match their reviewed reports in api/ (after a change: pnpm api:update, and commit api/)", () => {
    const { status, output } = runScript("scripts/api-report.mjs", "--check");
    expect(status, output).toBe(0);
  }, 60_000);

  it("export nothing that nothing imports (modules), or that nothing outside its package uses (entries)", () => {
    const { status, output } = runScript("scripts/unused-exports.mjs");
    expect(status, output).toBe(0);
  }, 60_000);
});

/** Writes files (path -> text) under a new temporary folder; returns the folder. */
function writeWorkspace(
  files: Record<string, string>,
  dir = mkdtempSync(join(tmpdir(), "gqn-unused-")),
): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("the unused-export check, on a fixture workspace", () => {
  // @fx/lib exports seven names from two entries. @fx/app calls one through the node entry (which
  // takes the root entry's names by `export *`), a doc snippet shows another, and `Options` is named
  // by a called function's signature. lib's own test and a tests/ workspace use two more: that
  // does not count. `TestOptions` is named only by the signature of a function no one outside calls,
  // and `Unused` by nothing: neither counts as used.
  const lib = {
    name: "@fx/lib",
    exports: { ".": { "@gqn/source": "./src/index.ts" }, "./node": { "@gqn/source": "./src/node.ts" } },
  };
  const fixture = {
    "packages/lib/package.json": JSON.stringify(lib),
    "packages/lib/src/api.ts": [
      "export interface Options { size: number }",
      "export interface TestOptions { seed: number }",
      "export interface Unused { size: number }",
      "export function usedByApp(options: Options): number { return options.size; }",
      "export function shownInDocs(): void {}",
      "export function usedOnlyByTests(options?: TestOptions): void {}",
    ].join("\n"),
    "packages/lib/src/index.ts":
      'export { type Options, shownInDocs, type TestOptions, type Unused, usedByApp, usedOnlyByTests } from "./api.js";\n',
    "packages/lib/src/node.ts": 'export * from "./index.js";\nexport function readFromDisk(): void {}\n',
    "packages/lib/src/api.test.ts": 'import { readFromDisk, usedOnlyByTests } from "@fx/lib/node";\n',
    "packages/app/package.json": JSON.stringify({ name: "@fx/app" }),
    "packages/app/src/main.ts": 'import { usedByApp } from "@fx/lib/node";\nusedByApp({ size: 1 });\n',
    "tests/e2e/package.json": JSON.stringify({ name: "@fx/e2e" }),
    "tests/e2e/src/e2e.ts": 'import { readFromDisk, usedOnlyByTests } from "@fx/lib/node";\n',
    "docs/guide.md": '# Guide\n\n```ts\nimport { shownInDocs } from "@fx/lib";\nshownInDocs();\n```\n',
  };
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("fails on an entry export that only tests use, naming `package entry: name`", () => {
    dir = writeWorkspace(fixture);
    const { status, output } = runScript("scripts/unused-exports.mjs", "--root", dir);
    expect(status, output).toBe(1);
    const named = output.split("\n").filter((line) => /^ {2}@fx\//.test(line));
    expect(named.map((line) => line.trim())).toEqual([
      "@fx/lib/node: readFromDisk",
      "@fx/lib: TestOptions",
      "@fx/lib: Unused",
      "@fx/lib: usedOnlyByTests",
    ]);
  });

  it("passes once an example calls them (and names Unused): TestOptions then comes with its function", () => {
    dir = writeWorkspace({
      ...fixture,
      "examples/demo/package.json": JSON.stringify({ name: "@fx/demo" }),
      "examples/demo/src/demo.ts":
        'import { readFromDisk, type Unused, usedOnlyByTests } from "@fx/lib/node";\n',
    });
    const { status, output } = runScript("scripts/unused-exports.mjs", "--root", dir);
    expect(status, output).toBe(0);
  });
});
