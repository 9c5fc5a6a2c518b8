import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { gaussianNll, nllFloor } from "./index.js";

describe("gaussianNll", () => {
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

  it("names the argument whose shape is wrong", () => {
    const target = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const mean = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => gaussianNll(target, mean, 1)).toThrow(/gaussianNll: mean/);
    tf.dispose([target, mean]);
  });
});
