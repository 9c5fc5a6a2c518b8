// The public faces are reviewed: every package entry's exported declarations (from the built
// .d.ts) must match its committed report in api/, so a change of what users can import fails
// `pnpm test` until `pnpm api:update` rewrites the report and the change shows in review. And no
// module exports a name that nothing imports.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

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

  it("export nothing that nothing imports", () => {
    const { status, output } = runScript("scripts/unused-exports.mjs");
    expect(status, output).toBe(0);
  }, 60_000);
});
