import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { bitsPerDim, elboTerms, gaussianNll, imageMse, nllFloor, psnrFromMse } from "./elbo.js";

describe("the objective", () => {
  it("has the spec's constant: about 6909 nats for a perfect 64x64x3 prediction at sigma 0.7", () => {
    expect(nllFloor(64 * 64 * 3, 0.7)).toBeCloseTo(6908.7, 0);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const nll = gaussianNll(x, x, 0.7);
    expect(nll.dataSync()[0]).toBeCloseTo(nllFloor(64 * 64 * 3, 0.7), 1);
    tf.dispose([x, nll]);
  });

  it("matches the Gaussian log density computed by hand", () => {
    const target = tf.tensor4d([0.5, 0, 1], [1, 1, 1, 3]);
    const mean = tf.tensor4d([0.25, 0.5, 1], [1, 1, 1, 3]);
    const sigma = 2;
    const expected = [0.25, -0.5, 0].reduce(
      (s, d) => s + (d * d) / (2 * sigma * sigma) + Math.log(sigma) + 0.5 * Math.log(2 * Math.PI),
      0,
    );
    const nll = gaussianNll(target, mean, sigma);
    expect(nll.dataSync()[0]).toBeCloseTo(expected, 5);
    tf.dispose([target, mean, nll]);
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
