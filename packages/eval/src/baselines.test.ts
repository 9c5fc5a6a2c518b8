import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { contextAverage, MeanImage, nearestContextView, ScoreMeter, ssim } from "./baselines.js";

describe("MeanImage", () => {
  it("averages every image added, across batches of different sizes", async () => {
    const mean = new MeanImage();
    const a = tf.fill([2, 2, 2, 3], 0.25) as tf.Tensor4D;
    const b = tf.fill([1, 2, 2, 3], 1) as tf.Tensor4D;
    await mean.add(a);
    await mean.add(b);
    const result = mean.result();
    expect(result.shape).toEqual([2, 2, 3]);
    for (const value of result.dataSync()) expect(value).toBeCloseTo(0.5, 6);
    expect(mean.images).toBe(3);
    tf.dispose([a, b, result]);
  });

  it("rejects a batch of another size and an empty result", async () => {
    const mean = new MeanImage();
    expect(() => mean.result()).toThrow(/no images/);
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    await mean.add(a);
    await expect(mean.add(b)).rejects.toThrow(/\[B, 2, 2, 3\], but got \[1, 4, 4, 3\]/);
    tf.dispose([a, b]);
  });

  it("leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const mean = new MeanImage();
    const a = tf.ones([3, 2, 2, 3]) as tf.Tensor4D;
    await mean.add(a);
    a.dispose();
    mean.result().dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("ScoreMeter", () => {
  it("weighs batches by their pixels and clips predictions to [0, 1]", async () => {
    const meter = new ScoreMeter();
    const target = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const prediction = tf.fill([1, 2, 2, 1], 2) as tf.Tensor4D; // clipped to 1: error 1
    await meter.add(prediction, target);
    const target3 = tf.zeros([3, 2, 2, 1]) as tf.Tensor4D;
    await meter.add(target3, target3); // error 0 on three times the pixels
    expect(meter.mse).toBeCloseTo(0.25, 6);
    expect(meter.psnr).toBeCloseTo(10 * Math.log10(4), 6);
    expect(meter.ssim).toBeNaN(); // 2 px frames: smaller than SSIM's window
    tf.dispose([target, prediction, target3]);
  });

  it("averages SSIM over images", async () => {
    const meter = new ScoreMeter();
    const a = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    await meter.add(a, a);
    expect(meter.ssim).toBeCloseTo(1, 5);
    a.dispose();
  });
});

describe("ssim", () => {
  it("is 1 for equal images, the luminance term for two flat ones, and lower for noise", () => {
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 2) as tf.Tensor4D;
    const same = ssim(x, x);
    expect(same.shape).toEqual([2]);
    for (const v of same.dataSync()) expect(v).toBeCloseTo(1, 5);
    // Flat 0.5 against flat 0.25: no variance, so only (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1).
    const flatA = tf.fill([1, 11, 11, 1], 0.5) as tf.Tensor4D;
    const flatB = tf.fill([1, 11, 11, 1], 0.25) as tf.Tensor4D;
    const c1 = 0.01 ** 2;
    const flat = ssim(flatA, flatB);
    // float32 leaves ~1e-7 of variance where there is none: 4 digits.
    expect(flat.dataSync()[0]).toBeCloseTo((2 * 0.125 + c1) / (0.25 + 0.0625 + c1), 4);
    const noisy = tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, 0.2, "float32", 3)) as tf.Tensor4D);
    const lower = ssim(noisy, x);
    for (const v of lower.dataSync()) expect(v).toBeLessThan(0.9);
    tf.dispose([x, same, flatA, flatB, flat, noisy, lower]);
    expect(tf.memory().numTensors).toBe(before);
  });

  // Values from tf.image.ssim's definition and scikit-image, computed outside this project by
  // test/fixtures/ssim-reference/make-ssim-reference.py.
  const reference = JSON.parse(
    readFileSync(new URL("../test/fixtures/ssim-reference/ssim-reference.json", import.meta.url), "utf8"),
  ) as { cases: { name: string; shape: number[]; a: number[]; b: number[]; ssim: number }[] };

  it.each(reference.cases.map((c) => [c.name, c] as const))(
    "matches the reference value within 1e-4: %s",
    (_name, c) => {
      const [h = 0, w = 0, channels = 0] = c.shape;
      const image = (values: number[]) =>
        tf.tensor4d(
          values.map((v) => v / 255),
          [1, h, w, channels],
        );
      const a = image(c.a);
      const b = image(c.b);
      const value = ssim(a, b);
      expect(Math.abs((value.dataSync()[0] as number) - c.ssim)).toBeLessThan(1e-4);
      tf.dispose([a, b, value]);
    },
  );

  it("names frames smaller than its window", () => {
    const small = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    expect(() => ssim(small, small)).toThrow(/at least 11x11/);
    small.dispose();
  });
});

describe("the context baselines", () => {
  it("picks the context view whose pose is nearest the query's", () => {
    // Two scenes of three 2x2 context views, each view filled with one value: 0, 1, 2 and 10, 11, 12.
    const contextFrames = tf.tidy(
      () =>
        tf.tile(
          tf.reshape(tf.tensor1d([0, 1, 2, 10, 11, 12]), [2, 3, 1, 1, 1]),
          [1, 1, 2, 2, 3],
        ) as tf.Tensor5D,
    );
    const poses = tf.tensor3d([
      [
        [0, 0, 0, 0, 1, 0, 1],
        [1, 0, 0, 0, 1, 0, 1],
        [2, 0, 0, 0, 1, 0, 1],
      ],
      [
        [0, 0, 0, 0, 1, 0, 1],
        [0, 0, 0, 1, 0, 0, 1],
        [0, 0, 0, 0, -1, 0, 1],
      ],
    ]);
    // Scene 0: nearest by position (view 2); scene 1: same position, nearest by yaw (view 1).
    const query = tf.tensor2d([
      [1.8, 0, 0, 0, 1, 0, 1],
      [0, 0, 0, 0.9, 0.1, 0, 1],
    ]);
    const nearest = nearestContextView(contextFrames, poses, query);
    expect(nearest.shape).toEqual([2, 2, 2, 3]);
    const values = nearest.dataSync();
    expect(values[0]).toBe(2);
    expect(values[12]).toBe(11);
    const average = contextAverage(contextFrames);
    expect(average.dataSync()[0]).toBeCloseTo(1, 6);
    expect(average.dataSync()[12]).toBeCloseTo(11, 6);
    tf.dispose([contextFrames, poses, query, nearest, average]);
  });

  it("names a pose of the wrong shape", () => {
    const contextFrames = tf.zeros([2, 3, 2, 2, 3]) as tf.Tensor5D;
    const poses = tf.zeros([2, 3, 5]) as tf.Tensor3D;
    const query = tf.zeros([2, 7]) as tf.Tensor2D;
    expect(() => nearestContextView(contextFrames, poses, query)).toThrow(/contextPoses/);
    tf.dispose([contextFrames, poses, query]);
  });
});
