#!/usr/bin/env node
// Times each built-in encoder's forward pass (and forward + backward where the backend has the
// kernels) on the built package, and prints a table. Run: pnpm bench (builds first).
// GQN_BENCH_BACKEND=wasm|cpu picks the backend (default wasm); GQN_BENCH_QUICK=1 runs fewer cases.
import { initBackend } from "@gqn/backend";
import * as tf from "@tensorflow/tfjs-core";
import { createEncoder } from "../dist/index.js";

const backend = process.env.GQN_BENCH_BACKEND ?? "wasm";
await initBackend({ backend, log: () => {} });
tf.enableProdMode();

const quick = process.env.GQN_BENCH_QUICK === "1";
const views = 8; // N views per batch
const repeats = quick ? 2 : 3;
const cases = [
  { type: "tower", frameSize: 64, channels: 256 },
  { type: "tower-tfgqn", frameSize: 64, channels: 256 },
  { type: "pool", frameSize: 64, channels: 256 },
  { type: "pyramid", frameSize: 64, channels: 256 },
  { type: "tower", frameSize: 32, channels: 64 },
  { type: "pyramid", frameSize: 32, channels: 64 },
  ...(quick
    ? []
    : [
        { type: "tower", frameSize: 84, channels: 256 },
        { type: "tower", frameSize: 128, channels: 256 },
      ]),
];

const canBackward = tf.getKernel("Conv2DBackpropFilter", tf.getBackend()) !== undefined;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn) {
  await fn(); // warm-up: builds weights, compiles kernels
  const ms = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const rows = [];
for (const config of cases) {
  const encoder = createEncoder({ ...config, seed: 1 });
  const s = config.frameSize;
  const frames = tf.randomUniform([views, s, s, 3], 0, 1, "float32", 1);
  const poses = tf.randomNormal([views, 7], 0, 1, "float32", 2);
  const forward = await time(async () => {
    const r = encoder.encode(frames, poses);
    await r.data();
    r.dispose();
  });
  let backward = Number.NaN;
  let peakMB = Number.NaN;
  if (canBackward) {
    const variables = () => encoder.trainableWeights.map((w) => w.read());
    const step = async () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(encoder.encode(frames, poses, true)),
        variables(),
      );
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    backward = await time(step);
    // Bytes allocated at the peak of one step beyond what existed before it: the activations kept
    // for the backward pass plus the gradients.
    const before = tf.memory().numBytes;
    const info = await tf.profile(step);
    peakMB = (info.peakBytes - before) / 2 ** 20;
  }
  rows.push({
    encoder: config.type,
    "frame px": s,
    c: config.channels,
    output: `[${encoder.outputShape.join(", ")}]`,
    params: encoder.countParams(),
    [`forward ms / ${views} views`]: forward.toFixed(1),
    "forward views/s": ((views * 1000) / forward).toFixed(1),
    [`fwd+bwd ms / ${views} views`]: canBackward ? backward.toFixed(1) : "n/a (no Conv2DBackpropFilter)",
    "fwd+bwd peak MB": canBackward ? peakMB.toFixed(0) : "n/a",
  });
  tf.dispose([frames, poses]);
  for (const w of encoder.weights) w.dispose();
}

console.log(`@gqn/encoders bench: backend ${tf.getBackend()}, median of ${repeats} runs after one warm-up`);
console.table(rows);
