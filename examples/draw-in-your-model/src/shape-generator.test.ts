import { Random } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { ShapeGenerator } from "./shape-generator.js";
import { SHAPE_CLASSES, shapeBatch } from "./shapes.js";

describe("DRAW in another model", () => {
  it("a short run lowers the loss with a flat tensor count, and samples have the image shape", () => {
    let before = 0;
    const random = new Random(3);
    const model = new ShapeGenerator({ classes: SHAPE_CLASSES.length, size: 16, seed: 2 });
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const batch = shapeBatch(16, 16, random);
      const images = tf.tensor4d(batch.images, [16, 16, 16, 3]);
      const labels = tf.tensor1d(batch.labels, "int32");
      losses.push(model.trainStep(images, labels, step).loss);
      tf.dispose([images, labels]);
      if (step === 0) before = tf.memory().numTensors; // after Adam made its moments
    }
    expect(tf.memory().numTensors).toBe(before);
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first * 0.8);
    const labels = tf.tensor1d([0, 1, 2, 3], "int32");
    const samples = model.sample(labels, 1);
    expect(samples.shape).toEqual([4, 16, 16, 3]);
    tf.dispose([labels, samples]);
    model.dispose();
  }, 120_000);
});
