#!/usr/bin/env node
// Copies a gqn-train checkpoint into the page's public/ folder, where the viewer loads it by
// default: model.json, the weight files its manifest names, and info.json (step and GqnConfig
// from the checkpoint's state.json), and a state.json of the same facts, so the copy is itself a
// checkpoint directory that gqn-render and render-orbit load. Plain Node, no build: the checkpoint layout is
// <model-dir>/checkpoints/ckpt-<step>/ with a `latest` file naming the newest complete one.
//
//   node scripts/copy-model.mjs [--float16] <gqn-train model dir | checkpoint dir> [out dir]
//
// --float16 stores the float32 weights as float16 (tfjs' own weight quantization, which
// tf.loadLayersModel expands on load): half the bytes, renders equal to ~1e-3.
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

const DEFAULT_OUT = fileURLToPath(new URL("../public/models/gqn-rooms", import.meta.url));
// Committed models stay small (the shipped small-preset rooms model is ~6 MiB in float16); a
// larger one is served from the page but kept out of git.
const COMMIT_LIMIT_BYTES = 8 * 2 ** 20;

/**
 * IEEE half floats (round to nearest even; overflow to infinity, tiny values to subnormals or 0).
 * Written here because Node 20 has no Float16Array and tfjs only decodes float16, never encodes it.
 */
function toFloat16(values) {
  const out = new Uint16Array(values.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    let mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf or NaN
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mantissa |= 0x800000;
      const shift = 14 - e;
      let half = mantissa >> shift;
      const rest = mantissa & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mantissa >> 13);
      const rest = mantissa & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: correct
      out[i] = sign | half;
    }
  }
  return out;
}

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

const args = process.argv.slice(2).filter((arg) => arg !== "--");
const float16 = args.includes("--float16");
const [source, outArg] = args.filter((arg) => arg !== "--float16");
if (!source || source === "-h" || source === "--help") {
  console.log(
    "Usage: node scripts/copy-model.mjs [--float16] <gqn-train model dir | checkpoint dir> [out dir]",
  );
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
if (float16) {
  // One float16 file for all groups, in manifest order (the order tfjs reads them in).
  const parts = [];
  const weights = [];
  for (const group of modelJson.weightsManifest) {
    const data = Buffer.concat(group.paths.map((file) => readFileSync(join(checkpoint, file))));
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.dtype !== "float32" || spec.quantization) {
        fail(
          `--float16: ${spec.name} is ${spec.quantization ? "already quantized" : spec.dtype}, not float32.`,
        );
      }
      const values = new Float32Array(
        data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + count * 4),
      );
      parts.push(Buffer.from(toFloat16(values).buffer));
      weights.push({ ...spec, quantization: { dtype: "float16", original_dtype: "float32" } });
      offset += count * 4;
    }
  }
  modelJson.weightsManifest = [{ paths: ["weights.bin"], weights }];
  writeFileSync(join(out, "weights.bin"), Buffer.concat(parts));
  writeFileSync(join(out, "model.json"), JSON.stringify(modelJson));
  bytes = statSync(join(out, "weights.bin")).size + statSync(join(out, "model.json")).size;
} else {
  for (const file of ["model.json", ...weightFiles]) {
    copyFileSync(join(checkpoint, file), join(out, file));
    bytes += statSync(join(out, file)).size;
  }
}
const statePath = join(checkpoint, "state.json");
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
const facts = { step: state.step, gqnConfig: state.gqnConfig, trainingConfig: state.trainingConfig };
writeFileSync(
  join(out, "info.json"),
  `${JSON.stringify({ checkpoint: basename(checkpoint), weights: float16 ? "float16" : "float32", ...facts }, null, 2)}\n`,
);
// loadCheckpoint's state.json: the step and configs, without the data position and run details.
writeFileSync(join(out, "state.json"), `${JSON.stringify(facts, null, 2)}\n`);
const mib = (bytes / 2 ** 20).toFixed(2);
console.log(
  `copy-model: ${checkpoint} (step ${state.step ?? "?"}) -> ${out}: ${weightFiles.length + 1} files, ${mib} MiB`,
);
if (bytes > COMMIT_LIMIT_BYTES) {
  console.warn(
    `copy-model: ${mib} MiB is more than the 8 MiB a committed model may take: serve it, do not commit it.`,
  );
}
