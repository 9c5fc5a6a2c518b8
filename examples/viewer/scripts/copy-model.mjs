#!/usr/bin/env node
// Copies a gqn-train checkpoint into the page's public/ folder, where the viewer loads it by
// default: model.json, the weight files its manifest names, and info.json (step and GqnConfig
// from the checkpoint's state.json). Plain Node, no build: the checkpoint layout is
// <model-dir>/checkpoints/ckpt-<step>/ with a `latest` file naming the newest complete one.
//
//   node scripts/copy-model.mjs <gqn-train model dir | checkpoint dir> [out dir]
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const DEFAULT_OUT = fileURLToPath(new URL("../public/models/gqn-shepard-metzler", import.meta.url));
// Committed models stay small; a larger one is served from the page but kept out of git.
const COMMIT_LIMIT_BYTES = 3 * 2 ** 20;

function fail(message) {
  console.error(`copy-model: ${message}`);
  process.exit(1);
}

/** The checkpoint directory inside `path` (a model dir, its checkpoints/ dir, or a checkpoint). */
function findCheckpoint(path) {
  if (existsSync(join(path, "model.json"))) return path;
  for (const root of [join(path, "checkpoints"), path]) {
    const latest = join(root, "latest");
    if (existsSync(latest)) {
      const dir = join(root, readFileSync(latest, "utf8").trim());
      if (existsSync(join(dir, "model.json"))) return dir;
    }
    if (!existsSync(root)) continue;
    // No pointer: the highest-numbered complete ckpt-<step>.
    const steps = readdirSync(root)
      .map((name) => /^ckpt-(\d+)$/.exec(name))
      .filter((match) => match && existsSync(join(root, match[0], "model.json")))
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    if (steps[0]) return join(root, steps[0][0]);
  }
  return undefined;
}

const [source, outArg] = process.argv.slice(2);
if (!source || source === "-h" || source === "--help") {
  console.log("Usage: node scripts/copy-model.mjs <gqn-train model dir | checkpoint dir> [out dir]");
  process.exit(source ? 0 : 1);
}
const checkpoint = findCheckpoint(resolve(source));
if (!checkpoint) fail(`no checkpoint (model.json) under ${source}: train one with gqn-train first.`);
const out = resolve(outArg ?? DEFAULT_OUT);

const modelJson = JSON.parse(readFileSync(join(checkpoint, "model.json"), "utf8"));
const weightFiles = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths);
if (!modelJson.modelTopology || weightFiles.length === 0) {
  fail(`${join(checkpoint, "model.json")} is not a tfjs LayersModel with weights.`);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let bytes = 0;
for (const file of ["model.json", ...weightFiles]) {
  copyFileSync(join(checkpoint, file), join(out, file));
  bytes += statSync(join(out, file)).size;
}
const statePath = join(checkpoint, "state.json");
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
writeFileSync(
  join(out, "info.json"),
  `${JSON.stringify({ checkpoint: basename(checkpoint), step: state.step, gqnConfig: state.gqnConfig, trainingConfig: state.trainingConfig }, null, 2)}\n`,
);
const mib = (bytes / 2 ** 20).toFixed(2);
console.log(
  `copy-model: ${checkpoint} (step ${state.step ?? "?"}) -> ${out}: ${weightFiles.length + 1} files, ${mib} MiB`,
);
if (bytes > COMMIT_LIMIT_BYTES) {
  console.warn(
    `copy-model: ${mib} MiB is more than the 3 MiB a committed model may take: serve it, do not commit it.`,
  );
}
