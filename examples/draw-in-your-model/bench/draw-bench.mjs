// Times @gqn/draw's infer and generate, forward and forward+backward, on the selected tfjs backend
// (wasm here) for the 32 px small config and the 64 px tf-gqn config. Run after building:
// `pnpm bench` (builds @gqn/draw's dist first through turbo's build of the dependencies).
import { initBackend } from "@gqn/backend";
import { isGqnError } from "@gqn/core";
import { Draw } from "@gqn/draw";
import * as tf from "@tensorflow/tfjs-core";

const CASES = [
  // GQN condition: 256-channel representation + 7-d pose, tiled to the core grid.
  {
    name: "32 px small (L8 C64 Cu64 Z16)",
    batch: 4,
    grid: 8,
    channels: 263,
    reps: 3,
    config: { steps: 8, hiddenChannels: 64, canvasChannels: 64, latentChannels: 16 },
  },
  {
    name: "64 px tf-gqn (L8 C256 Cu256 Z64)",
    batch: 4,
    grid: 16,
    channels: 263,
    reps: 1,
    config: { steps: 8, hiddenChannels: 256, canvasChannels: 256, latentChannels: 64 },
  },
];

// Prints each figure as it is taken. The 64 px infer fwd+bwd at batch 4 needs more than the 4 GB wasm heap:
// that figure reads "out of memory" (a GqnError OUT_OF_MEMORY) and the others are still taken.
function time(label, fn, reps) {
  try {
    fn(); // warm-up: builds weights, compiles kernels
    const started = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = (performance.now() - started) / reps;
    console.log(`  ${label}: ${ms.toFixed(0)} ms`);
    return ms.toFixed(0);
  } catch (error) {
    if (!isGqnError(error, "OUT_OF_MEMORY")) throw error;
    console.log(`  ${label}: out of memory (${error.message})`);
    return "out of memory";
  }
}

const backend = await initBackend({ backend: process.env.GQN_BENCH_BACKEND ?? "wasm", log: () => {} });
console.log(`@gqn/draw on tfjs ${backend.backend}`);
const rows = [];
for (const c of CASES) {
  const draw = new Draw({ ...c.config, seed: 1 });
  const condition = tf.randomUniform([c.batch, c.grid, c.grid, c.channels], 0, 1, "float32", 2);
  const target = tf.randomUniform([c.batch, 4 * c.grid, 4 * c.grid, 3], 0, 1, "float32", 3);
  draw.build([null, c.grid, c.grid, c.channels]);
  const vars = draw.trainableWeights.map((w) => w.read());
  const fwdInfer = () => {
    const r = draw.infer(condition, target, { seed: 5 });
    r.mean.dataSync();
    tf.dispose([r.mean, r.klPerStep]);
  };
  const bwdInfer = () => {
    const { value, grads } = tf.variableGrads(() => {
      const r = draw.infer(condition, target, { seed: 5 });
      return tf.add(tf.mean(tf.square(tf.sub(r.mean, target))), tf.mean(r.klPerStep));
    }, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const fwdGen = () => {
    const r = draw.generate(condition, { seed: 5 });
    r.mean.dataSync();
    tf.dispose(r.mean);
  };
  const bwdGen = () => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(draw.generate(condition, { seed: 5 }).mean)),
      vars,
    );
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  rows.push({
    config: c.name,
    batch: c.batch,
    "infer fwd ms": time(`${c.name} infer fwd`, fwdInfer, c.reps),
    "infer fwd+bwd ms": time(`${c.name} infer fwd+bwd`, bwdInfer, c.reps),
    "generate fwd ms": time(`${c.name} generate fwd`, fwdGen, c.reps),
    "generate fwd+bwd ms": time(`${c.name} generate fwd+bwd`, bwdGen, c.reps),
  });
  tf.dispose([condition, target]);
  draw.dispose();
}
console.table(rows);
