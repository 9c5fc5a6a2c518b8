// Where one training step of @gqn/train's GQN spends its wall time, on wasm + onnxruntime (the
// main job's engine): convolutions by kind, element-wise kernels, tfjs dispatch and gradient
// bookkeeping (wall time inside the step but inside no kernel), copies between the wasm heap and
// onnxruntime, Adam, and batch assembly. `pnpm profile:step [presets] [steps]` (builds first).
//
// How: every wasm kernel function is wrapped with a timer (outermost calls only: composite
// kernels time their inner kernels as their own), the model's loss, tfjs's `gradients` and the
// optimizer's `applyGradients` mark the phases, and the accelerator's counters give the time in
// onnxruntime's `run` and in the copies around it. Each row is the sum over the timed steps,
// shown per step and as a share of the step.
//
// Environment: GQN_PROFILE_ENGINE (wasm+onnx or wasm; default wasm+onnx), GQN_PROFILE_BATCH
// (default 8), GQN_PROFILE_CONTEXT (default 5), GQN_PROFILE_ORT (a file prefix: also break
// onnxruntime's run down per graph node from its own profiler), GQN_PROFILE_KERNELS (1: also
// list the element-wise kernels by phase and name).
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "@gqn/backend";
import { tryEnableOnnxConvAccelerator } from "@gqn/backend/node";
import { GQN_PRESETS, GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { createTrainer, getTrainingPreset } from "../dist/index.js";

/** The model and trainer of `preset` (the one place that knows where GqnModel lives). */
function buildModel(preset, batchSize, contextSize) {
  const config = GQN_PRESETS[preset];
  const model = GqnModel.create(config.model, { seed: 1 });
  const trainer = createTrainer(model, { ...getTrainingPreset(preset), batchSize, contextSize });
  return { model, trainer, frameSize: config.model.frameSize };
}

const [presetArg = "tiny,small", stepsArg = "3"] = process.argv.slice(2);
const PRESETS = presetArg.split(",").filter(Boolean);
const STEPS = Number(stepsArg);
const ENGINE = process.env.GQN_PROFILE_ENGINE ?? "wasm+onnx";
const BATCH = Number(process.env.GQN_PROFILE_BATCH ?? 8);
const CONTEXT = Number(process.env.GQN_PROFILE_CONTEXT ?? 5);
const ORT_PREFIX = process.env.GQN_PROFILE_ORT;

tf.enableProdMode();
await initBackend({ backend: "wasm", log: () => {} });
const accelerator =
  ENGINE === "wasm+onnx"
    ? tryEnableOnnxConvAccelerator({
        threads: 0,
        log: console.error,
        ...(ORT_PREFIX && { profileFilePrefix: ORT_PREFIX }),
      })
    : undefined;

/** The rows, in print order; each collects milliseconds over the timed steps. */
const ROWS = [
  ["conv forward", "Conv2D / FusedConv2D in the forward pass (onnxruntime run or XNNPACK)"],
  ["conv transpose", "conv2dTranspose (the canvas write) in the forward pass"],
  ["conv input grad", "input gradients (and the gradient of conv2dTranspose)"],
  ["conv filter grad", "Conv2DBackpropFilter"],
  ["onnx copies", "feeds, output copy into the wasm heap, filter OIHW layout"],
  ["onnx sessions", "building sessions (first use of a shape)"],
  ["element-wise etc.", "every other kernel of the forward and backward passes"],
  ["dispatch + tape", "forward and backward wall time inside no kernel"],
  ["Adam", "optimizer.applyGradients, all of it"],
  ["checks + other", "the rest of trainer.step: finiteness probes, loss download, schedules, disposal"],
];
const acc = new Map(ROWS.map(([name]) => [name, 0]));
const add = (row, ms) => acc.set(row, (acc.get(row) ?? 0) + ms);
const kernelCalls = new Map();
/** Element-wise etc. kernels by phase and name (printed with GQN_PROFILE_KERNELS=1). */
const kernelMs = new Map();
let phase = "idle";
let depth = 0;
let recording = false;
const phaseMs = { forward: 0, backward: 0, adam: 0 };
const phaseKernelMs = { forward: 0, backward: 0, adam: 0 };

const onnxSnapshot = () => {
  const s = accelerator?.stats;
  return s ? s.copyMs + s.filterLayoutMs : 0;
};

function convRow(name) {
  if (name === "Conv2DBackpropFilter") return "conv filter grad";
  if (name === "Conv2DBackpropInput") return phase === "forward" ? "conv transpose" : "conv input grad";
  if (name === "Conv2D" || name === "FusedConv2D")
    return phase === "forward" ? "conv forward" : "conv input grad";
  return undefined;
}

// Wrap every wasm kernel: the engine looks its kernelFunc up on each call, and KernelScope.run
// (the composite kernels' inner calls) does too.
for (const config of tf.getKernelsForBackend("wasm")) {
  const inner = config.kernelFunc;
  const name = config.kernelName;
  config.kernelFunc = (args) => {
    if (depth > 0 || !recording) return inner(args);
    depth++;
    const copy0 = onnxSnapshot();
    const session0 = accelerator?.stats.sessionMs ?? 0;
    const t0 = performance.now();
    try {
      return inner(args);
    } finally {
      const ms = performance.now() - t0;
      depth--;
      const copies = onnxSnapshot() - copy0;
      const sessions = (accelerator?.stats.sessionMs ?? 0) - session0;
      if (phase in phaseKernelMs) phaseKernelMs[phase] += ms;
      const row = convRow(name);
      if (phase === "forward" || phase === "backward") {
        add("onnx copies", copies);
        add("onnx sessions", sessions);
        add(row ?? "element-wise etc.", ms - copies - sessions);
        kernelCalls.set(name, (kernelCalls.get(name) ?? 0) + 1);
        if (!row) {
          const key = `${phase} ${name}`;
          const entry = kernelMs.get(key) ?? { ms: 0, calls: 0 };
          entry.ms += ms - copies - sessions;
          entry.calls++;
          kernelMs.set(key, entry);
        }
      }
    }
  };
}

// Phase marks: tfjs's `gradients` (what variableGrads calls) holds the forward and backward passes.
const engine = tf.engine();
const gradients = engine.gradients.bind(engine);
engine.gradients = (f, ...rest) => {
  const start = performance.now();
  let forwardEnd = start;
  phase = "forward";
  const wrapped = () => {
    try {
      return f();
    } finally {
      forwardEnd = performance.now();
      phase = "backward";
    }
  };
  try {
    return gradients(wrapped, ...rest);
  } finally {
    const end = performance.now();
    if (recording) {
      phaseMs.forward += forwardEnd - start;
      phaseMs.backward += end - forwardEnd;
    }
    phase = "checks";
  }
};

/** Assembles a batch as the data loader does: tensors from host arrays (timed separately). */
function makeBatch(frameSize, seed) {
  let s = seed;
  const random = (n) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      out[i] = s / 2 ** 32;
    }
    return out;
  };
  const frames = random(BATCH * CONTEXT * frameSize * frameSize * 3);
  const poses = random(BATCH * CONTEXT * 7);
  const query = random(BATCH * 7);
  const target = random(BATCH * frameSize * frameSize * 3);
  const start = performance.now();
  const batch = {
    contextFrames: tf.tensor5d(frames, [BATCH, CONTEXT, frameSize, frameSize, 3]),
    contextPoses: tf.tensor3d(poses, [BATCH, CONTEXT, 7]),
    queryPose: tf.tensor2d(query, [BATCH, 7]),
    target: tf.tensor4d(target, [BATCH, frameSize, frameSize, 3]),
  };
  return { batch, ms: performance.now() - start };
}

const pct = (ms, total) => `${((100 * ms) / total).toFixed(1)}%`;

async function profile(preset) {
  const { model, trainer, frameSize } = buildModel(preset, BATCH, CONTEXT);
  const applyGradients = trainer.optimizer.applyGradients.bind(trainer.optimizer);
  trainer.optimizer.applyGradients = (grads) => {
    const start = performance.now();
    phase = "adam";
    try {
      return applyGradients(grads);
    } finally {
      if (recording) phaseMs.adam += performance.now() - start;
      phase = "other";
    }
  };
  for (const key of acc.keys()) acc.set(key, 0);
  kernelCalls.clear();
  kernelMs.clear();
  for (const key of Object.keys(phaseMs)) {
    phaseMs[key] = 0;
    phaseKernelMs[key] = 0;
  }
  let stepMs = 0;
  let dataMs = 0;
  const runStart = { ...(accelerator?.stats ?? {}) };
  try {
    for (let step = 0; step <= STEPS; step++) {
      const { batch, ms } = makeBatch(frameSize, 1 + step);
      recording = step > 0; // step 0 warms up: sessions, XNNPACK operators, heap growth
      if (step === 1) Object.assign(runStart, accelerator?.stats ?? {});
      const start = performance.now();
      await trainer.step(batch, step);
      if (recording) {
        stepMs += performance.now() - start;
        dataMs += ms;
      }
      recording = false;
      phase = "idle";
      tf.dispose(Object.values(batch));
    }
  } finally {
    trainer.dispose();
    model.dispose();
  }
  // Kernels outside forward/backward are inside their phase's wall time.
  add("dispatch + tape", phaseMs.forward + phaseMs.backward - phaseKernelMs.forward - phaseKernelMs.backward);
  add("Adam", phaseMs.adam);
  add("checks + other", stepMs - phaseMs.forward - phaseMs.backward - phaseMs.adam);
  const total = stepMs + dataMs;
  const stats = accelerator?.stats;
  const lines = [
    `\n### ${preset}: batch ${BATCH}, K ${CONTEXT}, ${ENGINE}, ${STEPS} steps after a warm-up: ${(stepMs / STEPS).toFixed(0)} ms / step (+ ${(dataMs / STEPS).toFixed(1)} ms batch assembly); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
    "",
    "| part | ms / step | share | what |",
    "|---|---|---|---|",
  ];
  for (const [name, what] of ROWS) {
    const ms = acc.get(name) ?? 0;
    lines.push(`| ${name} | ${(ms / STEPS).toFixed(1)} | ${pct(ms, total)} | ${what} |`);
  }
  lines.push(
    `| data | ${(dataMs / STEPS).toFixed(1)} | ${pct(dataMs, total)} | batch assembly: host arrays to tensors |`,
  );
  const convMs = ["conv forward", "conv transpose", "conv input grad", "conv filter grad"].reduce(
    (a, r) => a + (acc.get(r) ?? 0),
    0,
  );
  const calls = [...kernelCalls.values()].reduce((a, b) => a + b, 0);
  lines.push(
    "",
    `Convolutions ${pct(convMs, total)} of the step; ${(calls / STEPS).toFixed(0)} kernel calls per step in the passes (${[
      ...kernelCalls,
    ]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([n, c]) => `${n} ${(c / STEPS).toFixed(0)}`)
      .join(", ")}).`,
  );
  if (stats) {
    const ran = (stats.runMs - runStart.runMs) / STEPS;
    lines.push(
      `onnxruntime: ${((stats.accelerated - runStart.accelerated) / STEPS).toFixed(0)} convolutions per step, ${ran.toFixed(1)} ms in run, ${((stats.copyMs - runStart.copyMs) / STEPS).toFixed(1)} ms copies (${((stats.patchMs - runStart.patchMs) / STEPS).toFixed(1)} ms of them im2col patches), ${((stats.filterLayoutMs - runStart.filterLayoutMs) / STEPS).toFixed(1)} ms filter layout, ${((stats.declined - runStart.declined) / STEPS).toFixed(0)} left to XNNPACK.`,
    );
  }
  if (process.env.GQN_PROFILE_KERNELS === "1") {
    lines.push("", "| element-wise kernel (phase, name) | calls / step | ms / step |", "|---|---|---|");
    for (const [key, e] of [...kernelMs].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
      lines.push(`| ${key} | ${(e.calls / STEPS).toFixed(0)} | ${(e.ms / STEPS).toFixed(1)} |`);
    }
  }
  console.log(lines.join("\n"));
}

console.log(
  `Training step profile: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}`,
);
for (const preset of PRESETS) await profile(preset);
if (ORT_PREFIX && accelerator) {
  accelerator.disable(); // writes the onnxruntime profiles
  ortBreakdown(ORT_PREFIX);
}

/** Sums onnxruntime's per-node times by op type from the trace files of `prefix`. */
function ortBreakdown(prefix) {
  const dir = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : tmpdir();
  const base = prefix.slice(prefix.lastIndexOf("/") + 1);
  const byOp = new Map();
  for (const file of readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith(".json"))) {
    const events = JSON.parse(readFileSync(join(dir, file), "utf8"));
    for (const e of events) {
      if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
      const op = e.args?.op_name ?? "?";
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000);
    }
    if (!process.env.GQN_PROFILE_KEEP) rmSync(join(dir, file));
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log("\nonnxruntime, all profiled runs, by op (its own profiler):");
  for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1])) {
    console.log(`- ${op}: ${ms.toFixed(0)} ms, ${pct(ms, total)}`);
  }
}
