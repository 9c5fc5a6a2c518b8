import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { referencePyramid, referenceTower } from "../test/reference-networks.js";
import { createEncoder } from "./create-encoder.js";
import type { SceneEncoderLayer } from "./scene-encoder-layer.js";

/**
 * Copies the encoder's weights into the reference layer of the same name ("conv1/kernel" of the
 * encoder -> layer "conv1" of the reference); `rename` maps an encoder conv to another layer.
 */
function copyWeights(
  encoder: SceneEncoderLayer,
  reference: tfl.LayersModel,
  rename: Record<string, string> = {},
) {
  const byConv = new Map<string, tf.Tensor[]>();
  for (const w of encoder.trainableWeights) {
    const [conv] = w.originalName.slice(encoder.name.length + 1).split("/") as [string];
    byConv.set(conv, [...(byConv.get(conv) ?? []), w.read()]);
  }
  for (const [conv, tensors] of byConv) reference.getLayer(rename[conv] ?? conv).setWeights(tensors);
}

// Each encoder against the same network built from stock tfjs-layers layers, weights copied over.
function compare(encoder: SceneEncoderLayer, reference: tfl.LayersModel, n = 2): number {
  const s = encoder.frameSize;
  const frames = tf.randomUniform([n, s, s, 3], 0, 1, "float32", 21) as tf.Tensor4D;
  const poses = tf.randomNormal([n, 7], 0, 1, "float32", 22) as tf.Tensor2D;
  tf.dispose(encoder.encode(frames, poses)); // builds the weights
  copyWeights(encoder, reference);
  const ours = encoder.encode(frames, poses);
  const theirs = reference.predict([frames, poses]) as tf.Tensor;
  expect(theirs.shape).toEqual(ours.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0] ?? Number.NaN);
  const scale = tf.tidy(() => tf.max(tf.abs(theirs)).dataSync()[0] ?? 0);
  expect(scale).toBeGreaterThan(0);
  tf.dispose([frames, poses, ours, theirs]);
  reference.dispose();
  return diff / scale;
}

describe("the encoders equal the architectures built from stock tfjs-layers layers", () => {
  it.each([
    ["paper", 32],
    ["paper", 16],
    ["tf-gqn", 32],
  ] as const)("tower (%s) at %i px", (variant, size) => {
    const type = variant === "paper" ? "tower" : "tower-tfgqn";
    const encoder = createEncoder({ type, frameSize: size, channels: 8, hiddenChannels: 5, seed: 3 });
    expect(compare(encoder, referenceTower(size, 8, 5, variant))).toBeLessThan(1e-5);
  });

  it.each([16, 32])("pyramid at %i px", (size) => {
    const encoder = createEncoder({
      type: "pyramid",
      frameSize: size,
      channels: 8,
      hiddenChannels: [3, 4, 6],
      seed: 4,
    });
    expect(compare(encoder, referencePyramid(size, 8, [3, 4, 6]))).toBeLessThan(1e-5);
  });

  it("notices a miswired network (the check can fail)", () => {
    // skip1 and conv3 of the paper tower have the same shape at c = d; swapping them is a wiring
    // error that no shape test sees.
    const encoder = createEncoder({ type: "tower", frameSize: 16, channels: 6, hiddenChannels: 6, seed: 5 });
    const reference = referenceTower(16, 6, 6, "paper");
    const frames = tf.randomUniform([1, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const poses = tf.randomNormal([1, 7], 0, 1, "float32", 2) as tf.Tensor2D;
    tf.dispose(encoder.encode(frames, poses));
    copyWeights(encoder, reference, { skip1: "conv3", conv3: "skip1" });
    const ours = encoder.encode(frames, poses);
    const theirs = reference.predict([frames, poses]) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0] ?? 0)).toBeGreaterThan(1e-3);
    tf.dispose([frames, poses, ours, theirs]);
    reference.dispose();
  });
});
