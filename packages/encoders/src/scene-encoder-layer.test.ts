import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { ScaledEncoder, TinyEncoder } from "../test/fixture-encoders.js";
import { describeSceneEncoder } from "./testing.js";

// A weight made with addWeight directly is trained, saved and named like the addConv ones.
describeSceneEncoder(
  "ScaledEncoder (custom, raw addWeight)",
  () => new ScaledEncoder({ frameSize: 8, seed: 2 }),
);

describe("SceneEncoderLayer", () => {
  const names = (encoder: TinyEncoder) => encoder.trainableWeights.map((w) => w.originalName);

  it("names weights <layer>/<weight> whether built by apply or by a containing layer's build", () => {
    const applied = new ScaledEncoder({ frameSize: 8, name: "applied" });
    const frames = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const poses = tf.zeros([1, 7]) as tf.Tensor2D;
    tf.dispose(applied.encode(frames, poses));
    const direct = new ScaledEncoder({ frameSize: 8, name: "direct" });
    direct.build([
      [null, 8, 8, 3],
      [null, 7],
    ]);
    const suffixes = ["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias", "scale"];
    expect(names(applied)).toEqual(suffixes.map((s) => `applied/${s}`));
    expect(names(direct)).toEqual(suffixes.map((s) => `direct/${s}`));
    tf.dispose([frames, poses]);
    for (const w of [...applied.weights, ...direct.weights]) w.dispose();
  });

  it("seeds each convolution differently, and encoders with neighbouring seeds apart", () => {
    const a = new TinyEncoder({ frameSize: 8, seed: 1 });
    const b = new TinyEncoder({ frameSize: 8, seed: 2 });
    for (const e of [a, b])
      e.build([
        [null, 8, 8, 3],
        [null, 7],
      ]);
    const kernels = [a, b].flatMap((e) => e.trainableWeights.filter((w) => w.name.endsWith("kernel")));
    const firsts = kernels.map((w) => (w.read().dataSync()[0] ?? 0).toFixed(6));
    expect(new Set(firsts).size).toBe(kernels.length);
    for (const w of [...a.weights, ...b.weights]) w.dispose();
  });

  it("rejects frames or poses that are not float32", () => {
    const encoder = new TinyEncoder({ frameSize: 8 });
    const bytes = tf.zeros([1, 8, 8, 3], "int32") as tf.Tensor4D;
    const frames = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const poses = tf.zeros([1, 7]) as tf.Tensor2D;
    const intPoses = tf.zeros([1, 7], "int32") as tf.Tensor2D;
    expect(() => encoder.encode(bytes, poses)).toThrow(
      "TinyEncoder.encode: frames must be float32 (RGB in [0, 1]), but got int32.",
    );
    expect(() => encoder.encode(frames, intPoses)).toThrow(
      "TinyEncoder.encode: poses must be float32, but got int32.",
    );
    tf.dispose([bytes, frames, poses, intPoses]);
  });

  it("rejects invalid construction arguments with INVALID_CONFIG", () => {
    expect(() => new TinyEncoder({ frameSize: 0 })).toThrow(
      "TinyEncoder: frameSize must be a positive integer, but got 0.",
    );
    expect(() => new TinyEncoder({ frameSize: 8, poseSize: 1.5 })).toThrow(
      /poseSize must be a positive integer/,
    );
    expect(() => new TinyEncoder({ frameSize: 8, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
