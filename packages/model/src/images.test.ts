import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { imageGrid, scaleImage, toRgbImages } from "./images.js";

describe("imageGrid", () => {
  it("lays out context | target | prediction per scene, framed, clipped, without leaks", async () => {
    const context = tf.fill([2, 2, 2, 2, 3], 0.5) as tf.Tensor5D;
    const target = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const prediction = tf.fill([2, 2, 2, 3], 3) as tf.Tensor4D; // clipped to 1
    const before = tf.memory().numTensors;
    const grid = await imageGrid(context, [target, prediction]);
    expect(tf.memory().numTensors).toBe(before);
    expect(grid.width).toBe(4 * 4);
    expect(grid.height).toBe(2 * 4);
    const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3];
    expect(at(0, 0)).toBe(255); // border
    expect(at(1, 1)).toBe(128); // context
    expect(at(9, 1)).toBe(0); // target
    expect(at(13, 5)).toBe(255); // prediction, clipped
    tf.dispose([context, target, prediction]);
  });

  it("splits a batch into RGB frames", async () => {
    const images = tf.tensor4d([0, 0.5, 1, -1, 2, 0.25], [2, 1, 1, 3]);
    const before = tf.memory().numTensors;
    const frames = await toRgbImages(images);
    expect(tf.memory().numTensors).toBe(before);
    expect(frames.map((f) => Array.from(f.data))).toEqual([
      [0, 128, 255],
      [0, 255, 64],
    ]);
    images.dispose();
  });
});

describe("scaleImage", () => {
  it("repeats each pixel factor x factor times", () => {
    const image = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const big = scaleImage(image, 2);
    expect([big.width, big.height]).toEqual([4, 2]);
    expect(Array.from(big.data)).toEqual([
      1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
    ]);
    expect(scaleImage(image, 1)).toBe(image);
    expect(() => scaleImage(image, 0)).toThrow(/factor must be a positive integer, but got 0/);
  });
});
