import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { DiagonalGaussian, gaussianFromHead, klValue } from "./diagonal-gaussian.js";

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

describe("DiagonalGaussian.kl's hand-written gradient", () => {
  const args = () => [
    tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 1),
    tf.add(tf.randomUniform([2, 3, 3, 4], 0, 1, "float32", 2), 0.2),
    tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 3),
    tf.add(tf.randomUniform([2, 3, 3, 4], 0, 1, "float32", 4), 0.2),
  ];
  const valueAndGrads = (kl: (m1: tf.Tensor, s1: tf.Tensor, m2: tf.Tensor, s2: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const w = tf.randomUniform([2, 3, 3, 4], 0, 1, "float32", 5);
      const [m1, s1, m2, s2] = args() as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
        tf.sum(tf.mul(kl(a, b, c, d), w)),
      )([m1, s1, m2, s2]);
      return [value, ...grads].map((t) => Array.from(t.dataSync()));
    });

  it("gives the plain ops' value and gradients of all four inputs, and leaks nothing", () => {
    const before = tf.memory().numTensors;
    const custom = valueAndGrads((m1, s1, m2, s2) =>
      new DiagonalGaussian(m1, s1).kl(new DiagonalGaussian(m2, s2)),
    );
    const plain = valueAndGrads(klValue);
    expect(tf.memory().numTensors).toBe(before);
    expect(custom.length).toBe(5);
    custom.forEach((values, i) => {
      const want = plain[i] as number[];
      const worst = Math.max(...values.map((v, k) => Math.abs(v - (want[k] as number))));
      expect(worst).toBeLessThan(1e-5 * Math.max(1, ...want.map(Math.abs)));
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  });

  it("broadcasts through the plain ops (a standard normal given as scalars)", () => {
    const kl = tf.tidy(() => {
      const q = new DiagonalGaussian(tf.fill([2, 2], 1), tf.fill([2, 2], 2));
      return Array.from(q.kl(new DiagonalGaussian(tf.scalar(0), tf.scalar(1))).dataSync());
    });
    // log(1/2) + (4 + 1) / 2 - 1/2
    for (const v of kl) expect(v).toBeCloseTo(Math.log(0.5) + 2.5 - 0.5, 5);
  });
});
