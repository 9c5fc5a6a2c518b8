import { gaussianNll, nllFloor } from "@gqn/draw";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { bitsPerDim, elboTerms, imageMse, psnrFromMse } from "./gqn.js";

describe("the objective", () => {
  it("uses @gqn/draw's likelihood, not a copy of it", async () => {
    const draw = await import("@gqn/draw");
    expect(gaussianNll).toBe(draw.gaussianNll);
    expect(nllFloor).toBe(draw.nllFloor);
  });

  it("sums the KL over steps and averages both terms over the batch, without leaks", () => {
    const target = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    const mean = tf.tensor4d([...Array(12).fill(0), ...Array(12).fill(1)], [2, 2, 2, 3]);
    const kl = tf.tensor2d([1, 2, 3, 5, 6, 7], [2, 3]);
    const before = tf.memory().numTensors;
    const terms = elboTerms(target, mean, kl, 1);
    expect(tf.memory().numTensors).toBe(before + 3);
    const floor = nllFloor(12, 1);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(12, 5);
    expect(terms.nll.dataSync()[0]).toBeCloseTo(floor + (0 + 12 / 2) / 2, 4);
    expect(terms.loss.dataSync()[0]).toBeCloseTo(floor + 3 + 12, 4);
    tf.dispose([target, mean, kl, terms.loss, terms.nll, terms.kl]);
  });

  it("reports bits per dimension, MSE of the clipped mean and PSNR", () => {
    expect(bitsPerDim(12288 * Math.LN2, 12288)).toBeCloseTo(1, 12);
    expect(psnrFromMse(0.01)).toBeCloseTo(20, 12);
    const target = tf.fill([1, 1, 1, 3], 1) as tf.Tensor4D;
    const mean = tf.tensor4d([2, 0.5, 1], [1, 1, 1, 3]);
    const mse = imageMse(target, mean);
    expect(mse.dataSync()[0]).toBeCloseTo(0.25 / 3, 6);
    tf.dispose([target, mean, mse]);
  });
});
