// The command lines as a user runs them: each one a Node process of the built package, with a
// capped heap, so a run that would fill memory dies here as "exit 134" instead of swapping.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

const BINS = {
  "gqn-train": "packages/train/bin/gqn-train.mjs",
  "gqn-eval": "packages/eval/bin/gqn-eval.mjs",
  "gqn-render": "packages/eval/bin/gqn-render.mjs",
  "gqn-data": "packages/data/bin/gqn-data.mjs",
  "gqn-synth": "packages/scenes/bin/gqn-synth.mjs",
} as const;

/**
 * The main job has no build of its own: bundled from source once per test run (workspace packages
 * stay imports), so that it is never an older main.ts than the one tested.
 */
const MAIN_JOB = "examples/train-synthetic/node_modules/.cache/gqn-fault-corpus/main.mjs";
let mainJobBuilt: Promise<unknown> | undefined;

export type Command = keyof typeof BINS | "train-synthetic";

async function scriptOf(command: Command): Promise<string> {
  if (command !== "train-synthetic") return BINS[command];
  mainJobBuilt ??= build({
    entryPoints: [join(REPO, "examples/train-synthetic/src/main.ts")],
    outfile: join(REPO, MAIN_JOB),
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "error",
  });
  await mainJobBuilt;
  return MAIN_JOB;
}

/** What a command did: its exit code (134 for a V8 heap-limit abort), and what it printed. */
export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr's non-empty lines. */
  lines: string[];
}

/** Runs `command args` to its end (or `timeoutMs`, which fails the case: a run must not hang). */
export async function run(command: Command, args: readonly string[], timeoutMs = 150_000): Promise<Outcome> {
  const script = await scriptOf(command);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-old-space-size=1536", script, ...args], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} ran past ${timeoutMs} ms (it hangs?):\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const lines = stderr.split("\n").filter((line) => line.trim() !== "");
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}

/** SHA-256 of a file's bytes. */
export function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
