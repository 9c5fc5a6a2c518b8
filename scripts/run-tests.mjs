#!/usr/bin/env node
// The one test command (README, CI and `pnpm test` alike): turbo runs every workspace package's
// vitest (after building what it depends on), each writing a JSON report; this script sums them
// and prints the plain `N passed, N failed` line that CI reads.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const workspaceDirs = ["packages", "examples", "tests"].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(group, entry.name))
    : [],
);
const reportOf = (dir) => join(dir, ".vitest-report.json");
for (const dir of workspaceDirs) rmSync(reportOf(dir), { force: true });

// Tests write into temp or ignored folders only: a tracked file that a run changes is a failure.
const trackedChanges = () =>
  spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).stdout ?? "";
const changedBefore = new Set(trackedChanges().split("\n").filter(Boolean));

const turbo = spawnSync(
  "pnpm",
  ["exec", "turbo", "run", "test", "--continue", "--concurrency=1", ...process.argv.slice(2)],
  { stdio: "inherit", env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const broken = [];
for (const dir of workspaceDirs) {
  const packageJson = join(dir, "package.json");
  if (!existsSync(packageJson)) continue;
  if (!JSON.parse(readFileSync(packageJson, "utf8")).scripts?.test) continue;
  if (!existsSync(reportOf(dir))) {
    broken.push(`${dir}: no test report (its build or test run failed before reporting)`);
    continue;
  }
  const report = JSON.parse(readFileSync(reportOf(dir), "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  // A test file that fails to load counts its suite as failed but has no failed test.
  const brokenSuites = report.testResults.filter(
    (r) => r.status === "failed" && r.assertionResults.length === 0,
  );
  for (const suite of brokenSuites) broken.push(`${suite.name}: ${suite.message.split("\n")[0]}`);
  // A worker that dies (a crashed runtime, a kill) leaves its file's tests "pending" (never run;
  // skipped tests are "skipped") in a suite reported as passed: count the suite as failed.
  for (const suite of report.testResults) {
    const unrun = suite.assertionResults.filter((a) => a.status === "pending").length;
    if (unrun > 0) broken.push(`${suite.name}: ${unrun} tests never ran (did its worker die?)`);
  }
}
for (const line of trackedChanges().split("\n").filter(Boolean)) {
  if (!changedBefore.has(line)) broken.push(`the tests changed a tracked file: ${line.slice(3)}`);
}
if (turbo.status !== 0 && failed === 0 && broken.length === 0) {
  broken.push(`turbo exited with status ${turbo.status} (see its output above)`);
}
failed += broken.length;
for (const line of broken) console.error(`failed to run: ${line}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || turbo.status !== 0 ? 1 : 0);
