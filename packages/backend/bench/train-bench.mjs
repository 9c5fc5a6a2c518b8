// Milliseconds per training step (forward, backward, Adam) of the GQN-like model in
// bench/gqn-like-model.mjs, per backend and engine, with the effective GFLOP/s (convolution
// FLOPs of the step counted analytically). Run with `pnpm bench:train` (builds first).
//
// This is NOT @gqn/train's model: it is a stand-in with the same kinds of layers and sizes, so
// that this package can measure itself without depending on @gqn/train. The per-preset
// benchmark of the real GQN belongs to @gqn/train (its `bench:train`, when it lands).
//
// Environment:
//   GQN_BENCH_PRESETS  comma list of tiny, small, tf-gqn (default tiny,small; tf-gqn is ~560 GFLOP
//                      per example: minutes per step)
//   GQN_BENCH_BATCH    examples per step (default 8)
//   GQN_BENCH_STEPS    timed steps after one warm-up step (default 2; the best is kept; 0 times
//                      the warm-up step alone, for the cpu backend)
//   GQN_BENCH_ENGINES  comma list of cpu, wasm, wasm+onnx, "wasm x2", "wasm+onnx x2" (any xN)
//                      (default: all but cpu; the cpu backend needs minutes per step)
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { cpus, loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../dist/index.js";
import { createDataParallel, tryEnableOnnxConvAccelerator } from "../dist/node.js";
import { MODEL_PRESETS, makeBatch, trainingStepFlops } from "./gqn-like-model.mjs";

tf.enableProdMode();
const list = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const PRESETS = list("GQN_BENCH_PRESETS", "tiny,small");
const BATCH = Number(process.env.GQN_BENCH_BATCH ?? 8);
const STEPS = Number(process.env.GQN_BENCH_STEPS ?? 2);
const ENGINES = list("GQN_BENCH_ENGINES", "wasm,wasm+onnx,wasm x2,wasm+onnx x2");
const MODEL = new URL("./gqn-like-model.mjs", import.meta.url);

function parseEngine(engine) {
  const match = /^(cpu|wasm)(\+onnx)?(?: x(\d+))?$/.exec(engine);
  if (!match) throw new Error(`unknown engine "${engine}"`);
  return { backend: match[1], onnx: Boolean(match[2]), workers: Number(match[3] ?? 1) };
}

async function measure(presetName, engine) {
  const { backend, onnx, workers } = parseEngine(engine);
  await initBackend({ backend, log: () => {} });
  const accelerator = onnx ? tryEnableOnnxConvAccelerator({ threads: 1 }) : undefined;
  if (onnx && !accelerator) return { skipped: "onnxruntime-node not installed" };
  const config = MODEL_PRESETS[presetName];
  const group = await createDataParallel({
    workers,
    replicaModule: MODEL,
    replicaConfig: config,
    backend,
    ...(onnx ? { onnxThreads: 1 } : {}),
  });
  const optimizer = tf.train.adam(1e-4);
  const times = [];
  try {
    for (let step = 0; step <= STEPS; step++) {
      const batch = makeBatch(config, BATCH, 1 + step);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const loss = await group.trainStep(batch, optimizer, { sigma: 1, seed: step });
      const used = process.cpuUsage(cpuStart);
      // Step 0 warms up (sessions, operators); with GQN_BENCH_STEPS=0 it is all there is.
      if (step > 0 || STEPS === 0) {
        times.push({ ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 });
      }
      tf.dispose(Object.values(batch));
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    }
  } finally {
    await group.dispose();
    optimizer.dispose();
    accelerator?.disable();
  }
  const best = times.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, loadAverage: loadavg()[0] };
}

console.log(
  `GQN-like training step (bench/gqn-like-model.mjs), batch ${BATCH}, best of ${STEPS} after a warm-up; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}`,
);
// CPU time counts every thread of the process (workers included): on a machine shared with other
// jobs it shows the work a step takes even when the wall clock is inflated by waiting for a core.
console.log(
  "\n| preset | engine | ms / step | effective GFLOP/s | vs wasm | CPU ms / step (all threads) | load average |\n|---|---|---|---|---|---|---|",
);
for (const preset of PRESETS) {
  const flops = trainingStepFlops(MODEL_PRESETS[preset], BATCH);
  let wasmMs;
  for (const engine of ENGINES) {
    const result = await measure(preset, engine);
    if (result.skipped) {
      console.log(`| ${preset} | ${engine} | ${result.skipped} | | | | |`);
      continue;
    }
    if (engine === "wasm") wasmMs = result.ms;
    const gflops = flops / result.ms / 1e6;
    const relative = wasmMs ? `${(wasmMs / result.ms).toFixed(2)}x` : "";
    console.log(
      `| ${preset} | ${engine} | ${result.ms.toFixed(0)} | ${gflops.toFixed(1)} | ${relative} | ${result.cpuMs.toFixed(0)} | ${result.loadAverage.toFixed(1)} |`,
    );
  }
}
console.log(
  `\nFLOPs per step (convolutions, forward + both gradients): ${PRESETS.map((p) => `${p} ${(trainingStepFlops(MODEL_PRESETS[p], BATCH) / 1e9).toFixed(1)} G`).join(", ")}.`,
);
