import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { createEncoder } from "./create-encoder.js";
import { PyramidEncoder } from "./pyramid-encoder.js";

describe("PyramidEncoder", () => {
  it.each([32, 64, 128])("maps %i px frames to [1, 1, c]", (size) => {
    const encoder = createEncoder({ type: "pyramid", frameSize: size, channels: 16, seed: 1 });
    expect(encoder.outputShape).toEqual([1, 1, 16]);
    const frames = tf.randomUniform([2, size, size, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const poses = tf.randomNormal([2, 7], 0, 1, "float32", 2) as tf.Tensor2D;
    const r = encoder.encode(frames, poses);
    expect(r.shape).toEqual([2, 1, 1, 16]);
    tf.dispose([frames, poses, r]);
  });

  it("has the paper's weights at 64 px: pose tiled over the frame, then 32, 64, 128 and a k8 s8 conv", () => {
    const pyramid = new PyramidEncoder({ frameSize: 64, name: "paper_pyramid" });
    pyramid.build([
      [null, 64, 64, 3],
      [null, 7],
    ]);
    // Built directly (as a containing layer would), the names still start with the layer's.
    expect(pyramid.trainableWeights.map((w) => [w.originalName, w.shape])).toEqual([
      ["paper_pyramid/conv1/kernel", [2, 2, 10, 32]],
      ["paper_pyramid/conv1/bias", [32]],
      ["paper_pyramid/conv2/kernel", [2, 2, 32, 64]],
      ["paper_pyramid/conv2/bias", [64]],
      ["paper_pyramid/conv3/kernel", [2, 2, 64, 128]],
      ["paper_pyramid/conv3/bias", [128]],
      ["paper_pyramid/conv4/kernel", [8, 8, 128, 256]],
      ["paper_pyramid/conv4/bias", [256]],
    ]);
    for (const w of pyramid.weights) w.dispose();
  });

  it("sizes its last kernel to the remaining grid (k4 at 32 px, k16 at 128 px)", () => {
    for (const [size, k] of [
      [32, 4],
      [128, 16],
    ] as const) {
      const pyramid = new PyramidEncoder({ frameSize: size, channels: 8, hiddenChannels: [2, 3, 4] });
      pyramid.build([
        [null, size, size, 3],
        [null, 7],
      ]);
      expect(pyramid.trainableWeights.at(-2)?.shape).toEqual([k, k, 4, 8]);
      for (const w of pyramid.weights) w.dispose();
    }
  });

  it.each([84, 36, 20])("rejects frameSize %i (not a multiple of 8) with an INVALID_CONFIG error", (size) => {
    let error: unknown;
    try {
      createEncoder({ type: "pyramid", frameSize: size });
    } catch (e) {
      error = e;
    }
    expect(isGqnError(error, "INVALID_CONFIG")).toBe(true);
    expect((error as Error).message).toMatch(/^PyramidEncoder: frameSize must be divisible by 8/);
  });

  it("rejects hiddenChannels that are not three positive integers", () => {
    expect(() => new PyramidEncoder({ frameSize: 32, hiddenChannels: [1, 2] as never })).toThrow(
      /hiddenChannels/,
    );
    expect(() => new PyramidEncoder({ frameSize: 32, hiddenChannels: [1, 0, 2] })).toThrow(/hiddenChannels/);
  });
});
