// Per-kernel profile of one training step of the GQN-like model (bench/gqn-like-model.mjs) on a
// backend: which kernels dominate. `node bench/profile-step.mjs [preset] [batch] [backend] [onnx]`
// after a build (or `pnpm profile:step small 8 wasm onnx`). Prints kernels by total time
// (tf.profile's kernelTimeMs, wall clock on wasm/cpu); BY_SHAPE=1 splits them by input shapes.
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../dist/index.js";
import { tryEnableOnnxConvAccelerator } from "../dist/node.js";
import { buildReplica, MODEL_PRESETS, makeBatch } from "./gqn-like-model.mjs";

tf.enableProdMode();
const [presetName = "small", batchArg = "8", backend = "wasm", onnx = ""] = process.argv.slice(2);
await initBackend({ backend, log: () => {} });
if (onnx === "onnx") tryEnableOnnxConvAccelerator({ log: console.error });
const config = MODEL_PRESETS[presetName];
const batchSize = Number(batchArg);
const replica = buildReplica(config);
const batch = makeBatch(config, batchSize);
const step = () => {
  const { value, grads } = tf.variableGrads(() => replica.loss(batch, { sigma: 1 }), replica.variables);
  tf.dispose([value, ...Object.values(grads)]);
};
step(); // warm-up: sessions, XNNPACK operators, heap growth
const t0 = performance.now();
const profile = await tf.profile(step);
const wall = performance.now() - t0;
const byName = new Map();
for (const k of profile.kernels) {
  const key = process.env.BY_SHAPE ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
  const entry = byName.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += k.kernelTimeMs;
  entry.calls++;
  byName.set(key, entry);
}
const total = [...byName.values()].reduce((a, e) => a + e.ms, 0);
console.log(
  `${presetName} batch ${batchSize} on ${backend}${onnx ? "+onnx" : ""}: step ${wall.toFixed(0)} ms (profiled), kernels ${total.toFixed(0)} ms`,
);
console.log("| kernel | calls | ms | share |\n|---|---|---|---|");
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% |`);
}
