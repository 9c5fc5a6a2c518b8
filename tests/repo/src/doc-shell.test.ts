// Every ```sh block of the READMEs and docs runs, with its budgets cut to seconds (short-budget.ts):
// blocks of one page run in order in one folder (a page's gqn-train line finds its gqn-synth data),
// with `pnpm gqn-*` and `gqn-*` running the workspace's built CLIs. A block that cannot run here
// (installs from npm, downloads, benchmarks, browsers, the main job) is marked ```sh no-run <reason>.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CodeBlock, codeBlocks, markdownFiles, noRunReason, readDoc, root } from "./doc-files.js";
import { withShortBudget } from "./short-budget.js";

const BLOCK_TIMEOUT_MS = 240_000;
// Outside the repository: an npm command there would find and change the workspace's package.json.
const workDir = mkdtempSync(join(tmpdir(), "gqn-doc-sh-"));

const BINS: Readonly<Record<string, string>> = {
  "gqn-train": "packages/train/bin/gqn-train.mjs",
  "gqn-eval": "packages/eval/bin/gqn-eval.mjs",
  "gqn-render": "packages/eval/bin/gqn-render.mjs",
  "gqn-data": "packages/data/bin/gqn-data.mjs",
  "gqn-synth": "packages/scenes/bin/gqn-synth.mjs",
};

/** Bash functions standing in for the commands the docs use. */
const PRELUDE = [
  "set -euo pipefail",
  ...Object.entries(BINS).map(([cli, bin]) => `${cli}() { node ${JSON.stringify(join(root, bin))} "$@"; }`),
  'pnpm() { case "$1" in gqn-*) local cli="$1"; shift; "$cli" "$@";; *) echo "not runnable here: pnpm $*" >&2; return 1;; esac; }',
  // TensorBoard is a Python program the docs point to; it reads what gqn-train wrote.
  'tensorboard() { echo "(tensorboard $*: not installed here)"; }',
].join("\n");

const blocks = markdownFiles().flatMap((file) =>
  codeBlocks(file, readDoc(file)).filter((block) => block.lang === "sh" || block.lang === "bash"),
);

// The docs speak from a clone's root: the shipped model is read there (`--init-from`, `--model-dir`).
const SHIPPED_MODELS = "examples/viewer/public/models";

function runBlock(block: CodeBlock): string {
  const dir = join(workDir, block.file.replaceAll("/", "_"));
  mkdirSync(join(dir, SHIPPED_MODELS, ".."), { recursive: true });
  if (!existsSync(join(dir, SHIPPED_MODELS)))
    symlinkSync(join(root, SHIPPED_MODELS), join(dir, SHIPPED_MODELS));
  const script = `${PRELUDE}\n${block.code.split("\n").map(withShortBudget).join("\n")}\n`;
  const result = spawnSync("bash", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    timeout: BLOCK_TIMEOUT_MS,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  if (result.status === 0) return "";
  const output = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-20).join("\n");
  const why = result.error ? String(result.error) : `exit code ${result.status ?? result.signal}`;
  return `${block.file}:${block.line}: the sh block failed (${why}):\n${output}`;
}

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("shell blocks in the docs", () => {
  it("are found, and say why when they are not run", () => {
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((b) => noRunReason(b) === "").map((b) => `${b.file}:${b.line}`)).toEqual([]);
  });

  describe.each([...new Set(blocks.map((b) => b.file))])("%s", (file) => {
    for (const block of blocks.filter((b) => b.file === file)) {
      const reason = noRunReason(block);
      it.skipIf(reason !== undefined)(
        `line ${block.line}${reason ? ` (not run: ${reason})` : ""}`,
        () => {
          expect(runBlock(block)).toBe("");
        },
        BLOCK_TIMEOUT_MS + 10_000,
      );
    }
  });
});
