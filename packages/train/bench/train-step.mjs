// Milliseconds per training step (forward, backward, Adam) of the GQN (@gqn/model, trained by @gqn/train), per preset and
// engine, with the effective GFLOP/s. Run with `pnpm bench:train` (builds first).
//
// FLOPs are counted from the step itself: one step at batch 1 on plain wasm, under tf.profile,
// lists every kernel with its input and output shapes; each convolution (forward, input
// gradient, filter gradient) and matmul is counted as 2 x multiply-adds, times the batch. The
// rest (LSTM gates, concat, sums) is not counted.
//
// Environment:
//   GQN_BENCH_PRESETS  comma list of tiny, small, tf-gqn, paper (default tiny,small,tf-gqn)
//   GQN_BENCH_BATCH    scenes per step (default: 36 for tf-gqn and paper, else 8)
//   GQN_BENCH_STEPS    timed steps after one warm-up step (default 2; the best is kept)
//   GQN_BENCH_FRAMES   comma list of frame sizes to run each preset at (default: the preset's own)
//   GQN_BENCH_ENGINES  comma list of cpu, wasm, wasm+onnx, tensorflow, webgpu, "wasm x2", "wasm+onnx x2"
//                      (any xN) (default: wasm, wasm+onnx, wasm+onnx x2 and tensorflow; the cpu
//                      backend needs minutes per tiny step)
//   GQN_BENCH_MICRO    micro-batch size for tf-gqn and paper on wasm (default 1: one tf-gqn scene's
//                      step takes most of the 4 GB wasm heap)
//   GQN_BENCH_CONTEXT  context views K per scene (default: the preset's)
//   GQN_BENCH_JSON     1: one JSON object per result on stdout instead of the table (for scripts)
import { cpus, loadavg } from "node:os";
import { initBackend } from "@gqn/backend";
import { createDataParallel, tryEnableOnnxConvAccelerator } from "@gqn/backend/node";
import { GQN_PRESETS, GqnModel, resolveGqnConfig } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { gqnReplica, gqnReplicaModule } from "../dist/gqn-replica.js";
import { createTrainer, getTrainingPreset } from "../dist/index.js";

const list = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const PRESETS = list("GQN_BENCH_PRESETS", "tiny,small,tf-gqn");
const FRAMES = list("GQN_BENCH_FRAMES", "").map(Number);
const STEPS = Number(process.env.GQN_BENCH_STEPS ?? 2);
const ENGINES = list("GQN_BENCH_ENGINES", "wasm,wasm+onnx,wasm+onnx x2,tensorflow");
const MICRO = Number(process.env.GQN_BENCH_MICRO ?? 1);
const big = (preset) => preset === "tf-gqn" || preset === "paper";
const batchOf = (preset) => Number(process.env.GQN_BENCH_BATCH ?? (big(preset) ? 36 : 8));
const contextOf = (preset) => Number(process.env.GQN_BENCH_CONTEXT ?? getTrainingPreset(preset).contextSize);
const JSON_LINES = process.env.GQN_BENCH_JSON === "1";
const print = (line) => {
  if (!JSON_LINES) console.log(line);
};

function parseEngine(engine) {
  const match = /^(cpu|wasm|tensorflow|webgpu)(\+onnx)?(?: x(\d+))?$/.exec(engine);
  if (!match) throw new Error(`unknown engine "${engine}"`);
  return { backend: match[1], onnx: Boolean(match[2]), workers: Number(match[3] ?? 1) };
}

/** The preset's model, at `frameSize` when given. */
const modelConfig = (preset, frameSize) =>
  frameSize ? resolveGqnConfig(preset, { frameSize }) : GQN_PRESETS[preset].model;

/** A random batch shaped like the preset's (the numbers do not change the work). */
function makeBatch(preset, batch, seed, frameSize = GQN_PRESETS[preset].model.frameSize) {
  const k = contextOf(preset);
  return {
    contextFrames: tf.randomUniform([batch, k, frameSize, frameSize, 3], 0, 1, "float32", seed),
    contextPoses: tf.randomNormal([batch, k, 7], 0, 1, "float32", seed + 1),
    queryPose: tf.randomNormal([batch, 7], 0, 1, "float32", seed + 2),
    target: tf.randomUniform([batch, frameSize, frameSize, 3], 0, 1, "float32", seed + 3),
  };
}

const CONVS = new Set(["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "FusedConv2D"]);
/** 2 x multiply-adds of the convolutions and matmuls of one profiled kernel list. */
function countFlops(kernels) {
  let flops = 0;
  for (const k of kernels) {
    if (CONVS.has(k.name)) {
      // Every conv kernel does (output positions) x (filter taps x in channels) x (out channels)
      // multiply-adds; which tensor holds which depends on the kernel.
      const [a, b] = k.inputShapes;
      const out = k.outputShapes[0];
      let x;
      let dy;
      let filter;
      if (k.name === "Conv2DBackpropFilter") [x, dy] = [a, b];
      else if (k.name === "Conv2DBackpropInput") [dy, filter, x] = [a, b, out];
      else [x, filter, dy] = [a, b, out];
      // The filter gradient's output is the filter.
      const taps = filter ? filter[0] * filter[1] : out[0] * out[1];
      flops += 2 * dy[0] * dy[1] * dy[2] * dy[3] * taps * x[3];
    } else if (k.name === "BatchMatMul" || k.name === "_FusedMatMul") {
      const [a] = k.inputShapes;
      const m = a[a.length - 2];
      const kdim = a[a.length - 1];
      const n = k.outputShapes[0][k.outputShapes[0].length - 1];
      const batches = k.outputShapes[0].slice(0, -2).reduce((p, q) => p * q, 1);
      flops += 2 * batches * m * kdim * n;
    }
  }
  return flops;
}

/**
 * FLOPs of one training step of `preset` per scene: one step at batch 1 on plain wasm (no
 * accelerator, no workers) under tf.profile; a step's FLOPs grow linearly with the batch.
 */
async function flopsPerScene(preset, frameSize) {
  await initBackend({ backend: "wasm", log: () => {} });
  const model = GqnModel.create(modelConfig(preset, frameSize), { seed: 1 });
  const trainer = createTrainer(model, {
    ...getTrainingPreset(preset),
    batchSize: 1,
    contextSize: contextOf(preset),
  });
  const batch = makeBatch(preset, 1, 1, frameSize);
  try {
    const profile = await tf.profile(() => trainer.step(batch, 0));
    return countFlops(profile.kernels);
  } finally {
    tf.dispose(Object.values(batch));
    trainer.dispose();
    model.dispose();
  }
}

async function measure(preset, engine, frameSize) {
  const { backend, onnx, workers } = parseEngine(engine);
  let info;
  try {
    info = await initBackend({ backend, log: () => {} });
  } catch (error) {
    return { skipped: `not available (${String(error.message).split("\n")[0]})` };
  }
  const accelerator = onnx ? tryEnableOnnxConvAccelerator({ threads: workers > 1 ? 1 : 0 }) : undefined;
  if (onnx && !accelerator) return { skipped: "onnxruntime-node not installed" };
  const batchSize = batchOf(preset);
  const micro = big(preset) && backend === "wasm" && MICRO < batchSize ? MICRO : undefined;
  const config = { model: modelConfig(preset, frameSize) };
  const model = GqnModel.create(config.model, { seed: 1 });
  let group;
  if (workers > 1 || micro !== undefined) {
    group = await createDataParallel({
      workers,
      replicaModule: gqnReplicaModule(),
      replicaConfig: { gqn: config.model, seed: 1 },
      replica: gqnReplica(model),
      backend,
      ...(onnx ? { onnxThreads: 1 } : {}),
      ...(micro !== undefined ? { microBatchSize: micro } : {}),
    });
  }
  const trainer = createTrainer(
    model,
    { ...getTrainingPreset(preset), batchSize, contextSize: contextOf(preset) },
    group ? { gradients: group } : {},
  );
  const times = [];
  try {
    for (let step = 0; step <= STEPS; step++) {
      const batch = makeBatch(preset, batchSize, 1 + step, frameSize);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      await trainer.step(batch, step);
      const used = process.cpuUsage(cpuStart);
      // Step 0 warms up (sessions, operators); with GQN_BENCH_STEPS=0 it is all there is.
      if (step > 0 || STEPS === 0)
        times.push({ ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 });
      tf.dispose(Object.values(batch));
    }
  } finally {
    trainer.dispose();
    await group?.dispose();
    model.dispose();
    accelerator?.disable();
  }
  const best = times.reduce((a, b) => (b.ms < a.ms ? b : a));
  const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
  const medianMs = sorted[Math.floor((sorted.length - 1) / 2)];
  const adapter =
    info.adapter && `${info.adapter.description}${info.adapter.software ? ", software: a CPU's speed" : ""}`;
  return { ...best, medianMs, batchSize, micro, loadAverage: loadavg()[0], ...(adapter && { adapter }) };
}

print(
  `@gqn/train GQN training step (Adam), best of ${STEPS} after a warm-up; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}`,
);
print(
  "\n| preset | px | batch | engine | ms / step | steps / s | effective GFLOP/s | GFLOP/s per thread | vs wasm | CPU ms / step | load average |\n|---|---|---|---|---|---|---|---|---|---|---|",
);
const flopCache = new Map();
for (const preset of PRESETS) {
  for (const frameSize of FRAMES.length > 0 ? FRAMES : [GQN_PRESETS[preset].model.frameSize]) {
    const key = `${preset} ${frameSize} px`;
    flopCache.set(key, (await flopsPerScene(preset, frameSize)) * batchOf(preset));
    let wasmMs;
    for (const engine of ENGINES) {
      const result = await measure(preset, engine, frameSize);
      if (result.skipped) {
        print(
          `| ${preset} | ${frameSize} | ${batchOf(preset)} | ${engine} | ${result.skipped} | | | | | | |`,
        );
        if (JSON_LINES) console.log(JSON.stringify({ preset, frameSize, engine, skipped: result.skipped }));
        continue;
      }
      if (engine === "wasm") wasmMs = result.ms;
      const flops = flopCache.get(key);
      const gflops = flops ? flops / result.ms / 1e6 : Number.NaN;
      const threads = parseEngine(engine).workers;
      if (JSON_LINES) {
        console.log(
          JSON.stringify({ preset, frameSize, engine, contextSize: contextOf(preset), ...result, gflops }),
        );
      }
      print(
        `| ${preset} | ${frameSize} | ${result.batchSize}${result.micro ? ` (chunks of ${result.micro})` : ""} | ${engine}${result.adapter ? ` (${result.adapter})` : ""} | ${result.ms.toFixed(0)} | ${(1000 / result.ms).toFixed(2)} | ${gflops.toFixed(1)} | ${(gflops / threads).toFixed(1)} | ${wasmMs ? `${(wasmMs / result.ms).toFixed(2)}x` : ""} | ${result.cpuMs.toFixed(0)} | ${result.loadAverage.toFixed(1)} |`,
      );
    }
  }
}
print(
  `\nFLOPs per step (convolutions and matmuls of the profiled step, forward + gradients): ${[...flopCache].map(([p, f]) => `${p} ${(f / 1e9).toFixed(1)} G`).join(", ")}.`,
);
