#!/usr/bin/env node
// `pnpm bench:vs-reference`: our training step and the PyTorch reference's (shared/reference-impl,
// the same architecture and config), back to back on this machine, for the main job's tiny config
// and `small`; prints ms per step, the ratio and the load average. Absolute times on shared
// machines vary by 2-3x between runs; the ratio of runs minutes apart holds.
//
// Environment: GQN_REFERENCE (path of torch_gqn.py; default ../shared/reference-impl/torch_gqn.py
// beside the checkout), GQN_BENCH_STEPS (our timed steps, default 10), GQN_REFERENCE_STEPS
// (default 30), GQN_BENCH_ENGINES (ours; default wasm+onnx, the main job's), GQN_PYTHON (a python
// with torch; default: python3, else /usr/bin/python3).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const reference = resolve(
  process.env.GQN_REFERENCE ?? join(root, "..", "shared", "reference-impl", "torch_gqn.py"),
);
const ourSteps = process.env.GQN_BENCH_STEPS ?? "10";
const referenceSteps = process.env.GQN_REFERENCE_STEPS ?? "30";
const engine = process.env.GQN_BENCH_ENGINES ?? "wasm+onnx";

/** The two configs, ours (preset, K) and the reference's `--config`, as its README matches them. */
const CONFIGS = [
  {
    name: "tiny (main job: pool 32, L4, C32, Z8)",
    preset: "tiny",
    reference: { base: "tiny", enc_channels: 32, batch_size: 8, context_size: 5 },
  },
  {
    name: "small (tower 64, L8, C64, Z16)",
    preset: "small",
    reference: {
      base: "small",
      image_size: 32,
      enc_type: "tower",
      enc_channels: 64,
      lstm_channels: 64,
      canvas_channels: 64,
      z_channels: 16,
      seq_length: 8,
      batch_size: 8,
      context_size: 5,
    },
  },
];

/** The last JSON line a benchmark process printed, or an error with its last stderr line. */
function lastJson(run, who) {
  const line = run.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .pop();
  if (run.status !== 0 || !line)
    throw new Error(`${who} failed (${run.status}): ${run.stderr.trim().split("\n").pop()}`);
  return JSON.parse(line);
}

function ours(preset) {
  const run = spawnSync(process.execPath, [join(root, "packages/train/bench/train-step.mjs")], {
    cwd: join(root, "packages/train"),
    encoding: "utf8",
    env: {
      ...process.env,
      GQN_BENCH_PRESETS: preset,
      GQN_BENCH_ENGINES: engine,
      GQN_BENCH_BATCH: "8",
      GQN_BENCH_CONTEXT: "5",
      GQN_BENCH_STEPS: ourSteps,
      GQN_BENCH_JSON: "1",
    },
  });
  const result = lastJson(run, "our bench");
  if (result.skipped) throw new Error(`our bench: ${engine} ${result.skipped}`);
  return result.medianMs;
}

/**
 * The first Python that imports torch: GQN_PYTHON, then `python3` on the PATH, then Debian's
 * /usr/bin/python3 (where apt's python3-torch lives when a pyenv shim shadows it).
 */
function findPython() {
  const candidates = [process.env.GQN_PYTHON, "python3", "/usr/bin/python3"].filter(Boolean);
  return candidates.find((python) => {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
    return !probe.error && probe.status === 0;
  });
}

const python = findPython();

function torchMissing() {
  if (!existsSync(reference)) return `no reference at ${reference} (set GQN_REFERENCE)`;
  if (!python) {
    return "no python3 with torch (tried GQN_PYTHON, python3, /usr/bin/python3): install Debian's with `apt-get update && apt-get install -y --no-install-recommends python3-torch python3-numpy`";
  }
  return undefined;
}

function theirs(config) {
  const run = spawnSync(
    python,
    [
      reference,
      "--config",
      JSON.stringify(config),
      "--threads",
      String(cpus().length),
      "--steps",
      referenceSteps,
    ],
    { encoding: "utf8" },
  );
  return lastJson(run, "the reference").ms_per_step_median;
}

const missing = torchMissing();
console.log(
  `training step, batch 8, K 5, 32 px: @gqn (${engine}, median of ${ourSteps}) vs the PyTorch reference (median of ${referenceSteps}); ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`,
);
if (missing) console.log(`reference: ${missing}; our figures alone.`);
console.log(
  "\n| config | @gqn ms / step | reference ms / step | @gqn / reference | load average |\n|---|---|---|---|---|",
);
for (const config of CONFIGS) {
  const ms = ours(config.preset);
  const load = loadavg()[0].toFixed(2);
  if (missing) {
    console.log(`| ${config.name} | ${ms.toFixed(0)} | | | ${load} |`);
    continue;
  }
  const ref = theirs(config.reference);
  console.log(
    `| ${config.name} | ${ms.toFixed(0)} | ${ref.toFixed(0)} | ${(ms / ref).toFixed(2)}x | ${load}, ${loadavg()[0].toFixed(2)} |`,
  );
}
