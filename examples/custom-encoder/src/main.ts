// Builds the custom encoder through createEncoder (as @gqn/train will), encodes a batch of
// scenes with the paper's sum over views, and saves and reloads it in the tfjs format.
import { initBackend } from "@gqn/backend";
import { createEncoder, encodeScene } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "./patch-encoder.js"; // registers the "patch" type

const batch = 4; // scenes
const views = 5; // context views per scene (K)
const frameSize = 32;

await initBackend({ backend: (process.env.GQN_BACKEND as "auto" | "wasm" | "cpu" | undefined) ?? "wasm" });
tf.enableProdMode();

const encoder = createEncoder({ type: "patch", frameSize, channels: 32, seed: 7, name: "encoder" });
const frames = tf.randomUniform([batch, views, frameSize, frameSize, 3], 0, 1, "float32", 1) as tf.Tensor5D;
const poses = tf.randomNormal([batch, views, 7], 0, 1, "float32", 2) as tf.Tensor3D;

const start = performance.now();
const r = encodeScene(encoder, frames, poses, { aggregation: "sum" });
await r.data();
const ms = performance.now() - start;
console.log(`encoder: ${encoder.getClassName()} ${JSON.stringify(encoder.getConfig())}`);
console.log(`parameters: ${encoder.countParams()}`);
console.log(
  `scene batch [${frames.shape.join(", ")}] -> r [${r.shape.join(", ")}] in ${ms.toFixed(1)} ms (first call, ${tf.getBackend()})`,
);

// Save and load in the format tf.loadLayersModel reads, through memory here (a file or a URL in practice).
const frameInput = tfl.input({ shape: [frameSize, frameSize, 3] });
const poseInput = tfl.input({ shape: [7] });
const model = tfl.model({
  inputs: [frameInput, poseInput],
  outputs: encoder.apply([frameInput, poseInput]) as tfl.SymbolicTensor,
});
let artifacts: tf.io.ModelArtifacts | undefined;
await model.save(
  tf.io.withSaveHandler(async (saved) => {
    artifacts = saved;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }),
);
const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
const x = tf.reshape(frames, [-1, frameSize, frameSize, 3]);
const v = tf.reshape(poses, [-1, 7]);
const a = model.predict([x, v]) as tf.Tensor;
const b = loaded.predict([x, v]) as tf.Tensor;
const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
console.log(`saved ${artifacts?.weightSpecs?.length} weight tensors; reloaded model differs by ${diff}`);
if (diff !== 0) process.exitCode = 1;

// The same encoder inside the whole GQN (encoder + sum + DRAW), trained a few steps by @gqn/train.
const { trainPatchGqn } = await import("./train-in-gqn.js");
const losses = await trainPatchGqn(20);
console.log(
  `GQN with the patch encoder: negative ELBO ${losses[0]?.toFixed(1)} -> ${losses[losses.length - 1]?.toFixed(1)} nats over ${losses.length} steps`,
);
