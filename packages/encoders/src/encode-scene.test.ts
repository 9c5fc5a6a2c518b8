import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { aggregateViews } from "./aggregate.js";
import { createEncoder } from "./create-encoder.js";
import { encodeScene } from "./encode-scene.js";

describe("encodeScene", () => {
  const encoder = createEncoder({ type: "pool", frameSize: 16, channels: 4, seed: 1 });
  const frames = tf.randomUniform([2, 3, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor5D;
  const poses = tf.randomNormal([2, 3, 7], 0, 1, "float32", 2) as tf.Tensor3D;

  it("encodes B*K views and sums (or averages) each scene's K", () => {
    const perView = encoder.encode(
      tf.reshape(frames, [6, 16, 16, 3]) as tf.Tensor4D,
      tf.reshape(poses, [6, 7]) as tf.Tensor2D,
    );
    for (const aggregation of ["sum", "mean"] as const) {
      const expected = aggregateViews(perView, 3, aggregation);
      const r = encodeScene(encoder, frames, poses, { aggregation });
      expect(r.shape).toEqual([2, 1, 1, 4]);
      expect(tf.max(tf.abs(tf.sub(r, expected))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([expected, r]);
    }
    perView.dispose();
  });

  it("leaks nothing", () => {
    tf.dispose(encodeScene(encoder, frames, poses)); // builds the weights
    const before = tf.memory().numTensors;
    tf.dispose(encodeScene(encoder, frames, poses));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects frames or poses that do not match the encoder or each other", () => {
    const flat = tf.zeros([6, 16, 16, 3]);
    const wrongPoses = tf.zeros([2, 4, 7]);
    expect(() => encodeScene(encoder, flat as unknown as tf.Tensor5D, poses)).toThrow(
      "encodeScene: frames must have shape [?, ?, 16, 16, 3], but got [6, 16, 16, 3].",
    );
    expect(() => encodeScene(encoder, frames, wrongPoses as tf.Tensor3D)).toThrow(
      "encodeScene: poses must have shape [2, 3, 7], but got [2, 4, 7].",
    );
    tf.dispose([flat, wrongPoses]);
  });
});
