import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { DiagonalGaussian, gaussianFromHead } from "./diagonal-gaussian.js";

describe("DiagonalGaussian", () => {
  it("logProb matches the closed form", () => {
    tf.tidy(() => {
      const g = new DiagonalGaussian(tf.tensor1d([0, 1, -2]), tf.tensor1d([1, 0.5, 2]));
      const x = [0.3, 1.2, 0];
      const got = g.logProb(tf.tensor1d(x)).dataSync();
      const mus = [0, 1, -2];
      const sigmas = [1, 0.5, 2];
      x.forEach((v, i) => {
        const m = mus[i] as number;
        const s = sigmas[i] as number;
        const expected = -((v - m) ** 2) / (2 * s * s) - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
        expect(got[i]).toBeCloseTo(expected, 5);
      });
    });
  });

  it("the analytic KL agrees with a Monte-Carlo estimate", () => {
    tf.tidy(() => {
      const n = 200_000;
      const q = new DiagonalGaussian(tf.fill([n], 0.4), tf.fill([n], 0.6));
      const p = new DiagonalGaussian(tf.fill([n], -0.3), tf.fill([n], 1.3));
      const analytic = q.kl(p).dataSync()[0] as number;
      const z = q.sample(7);
      const estimate = tf.mean(tf.sub(q.logProb(z), p.logProb(z))).dataSync()[0] as number;
      // The estimator's standard error at n = 2e5 is ~0.002.
      expect(Math.abs(estimate - analytic)).toBeLessThan(0.01);
      expect(analytic).toBeGreaterThan(0.1);
      const self = q.kl(q).dataSync()[0] as number;
      expect(self).toBeCloseTo(0, 6);
    });
  });

  it("samples are reparameterised and seeded", () => {
    tf.tidy(() => {
      const mu = tf.tensor1d([1, 2, 3]);
      const sigma = tf.tensor1d([0.1, 0.2, 0.3]);
      const g = new DiagonalGaussian(mu, sigma);
      expect(Array.from(g.sample(3).dataSync())).toEqual(Array.from(g.sample(3).dataSync()));
      expect(Array.from(g.sample(3).dataSync())).not.toEqual(Array.from(g.sample(4).dataSync()));
      const grads = tf.grads((m: tf.Tensor, s: tf.Tensor) => tf.sum(new DiagonalGaussian(m, s).sample(5)))([
        mu,
        sigma,
      ]);
      expect(Array.from(grads[0]?.dataSync() ?? [])).toEqual([1, 1, 1]); // d sample / d mu = 1
      const eps = tf.div(tf.sub(g.sample(5), mu), sigma).dataSync();
      expect(Array.from(grads[1]?.dataSync() ?? []).map((v) => v.toFixed(4))).toEqual(
        Array.from(eps).map((v) => v.toFixed(4)),
      );
    });
  });

  it("rejects mismatched shapes", () => {
    tf.tidy(() => {
      expect(() => new DiagonalGaussian(tf.zeros([2]), tf.zeros([3]))).toThrow(/same shape/);
    });
  });
});

describe("gaussianFromHead", () => {
  it("splits mu and raw sigma, with sigma = softplus(raw + 0.5) + 1e-8", () => {
    tf.tidy(() => {
      const g = gaussianFromHead(tf.tensor4d([0.2, -0.1, -1, 2], [1, 1, 1, 4]));
      expect(Array.from(g.mu.dataSync())).toEqual([0.2, -0.1].map((v) => Math.fround(v)));
      const softplus = (x: number) => Math.log1p(Math.exp(x));
      const sigma = g.sigma.dataSync();
      expect(sigma[0]).toBeCloseTo(softplus(-0.5) + 1e-8, 6);
      expect(sigma[1]).toBeCloseTo(softplus(2.5) + 1e-8, 6);
      expect(() => gaussianFromHead(tf.zeros([1, 1, 1, 3]) as tf.Tensor4D)).toThrow(/even channel count/);
    });
  });
});
