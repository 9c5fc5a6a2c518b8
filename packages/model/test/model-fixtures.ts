// Small models and random batches for the model and trainer tests.
import * as tf from "@tensorflow/tfjs-core";
import type { GqnBatch } from "../src/gqn-batch.js";
import { type GqnConfig, resolveGqnConfig } from "../src/gqn-config.js";

/** The tiny preset at 16 px (a 4x4 DRAW grid): milliseconds per step on wasm. */
export function tinyConfig(): GqnConfig {
  return resolveGqnConfig("tiny", { frameSize: 16 });
}

/** A batch of B scenes with K context views of random frames and poses, seeded. */
export function testBatch(b: number, k: number, size: number, seed: number): GqnBatch & { dispose(): void } {
  const batch = tf.tidy(() => ({
    contextFrames: tf.randomUniform([b, k, size, size, 3], 0, 1, "float32", seed) as tf.Tensor5D,
    contextPoses: tf.randomNormal([b, k, 7], 0, 1, "float32", seed + 1) as tf.Tensor3D,
    queryPose: tf.randomNormal([b, 7], 0, 1, "float32", seed + 2) as tf.Tensor2D,
    target: tf.randomUniform([b, size, size, 3], 0, 1, "float32", seed + 3) as tf.Tensor4D,
  }));
  return {
    ...batch,
    dispose: () => tf.dispose([batch.contextFrames, batch.contextPoses, batch.queryPose, batch.target]),
  };
}
