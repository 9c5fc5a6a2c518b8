// Shared by the kernel tests: parity of wasm convolutions (and their gradients) with the cpu backend.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";

export type Pad = "valid" | "same" | [[0, 0], [number, number], [number, number], [0, 0]];

/** Runs `fn` on `backend` and returns its outputs as plain arrays (tensors created inside are freed). */
export async function on(
  backend: string,
  fn: () => tf.Tensor[],
): Promise<{ shape: number[]; values: Float32Array }[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(fn);
    const read = await Promise.all(
      outs.map(async (t) => ({ shape: t.shape, values: (await t.data()) as Float32Array })),
    );
    tf.dispose(outs);
    return read;
  } finally {
    await tf.setBackend(previous);
  }
}

export function expectClose(
  actual: { shape: number[]; values: Float32Array }[],
  expected: { shape: number[]; values: Float32Array }[],
): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as { shape: number[]; values: Float32Array };
    expect(a.shape).toEqual(e.shape);
    let scale = 1e-6;
    for (const v of e.values) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let j = 0; j < e.values.length; j++) {
      worst = Math.max(worst, Math.abs((a.values[j] as number) - (e.values[j] as number)));
    }
    // float32 sums of a few hundred products: relative to the largest magnitude.
    expect(worst / scale).toBeLessThan(2e-5);
  });
}

/** A deterministic pseudo-random tensor (values in [-1, 1)). */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: [number, number];
  pad: Pad;
}

export const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 7, 3], k: [5, 5], co: 4, strides: [1, 1], pad: "same" },
  { x: [1, 8, 8, 5], k: [5, 3], co: 2, strides: [1, 1], pad: "valid" },
  { x: [3, 8, 8, 3], k: [2, 2], co: 6, strides: [2, 2], pad: "valid" },
  { x: [2, 9, 11, 2], k: [2, 2], co: 3, strides: [2, 2], pad: "valid" },
  { x: [2, 16, 16, 3], k: [4, 4], co: 5, strides: [4, 4], pad: "valid" },
  { x: [1, 13, 15, 3], k: [4, 4], co: 2, strides: [4, 4], pad: "valid" },
  { x: [2, 11, 10, 3], k: [3, 3], co: 4, strides: [2, 2], pad: "same" },
  { x: [1, 9, 9, 2], k: [5, 5], co: 3, strides: [2, 2], pad: "same" },
  { x: [2, 10, 9, 3], k: [3, 5], co: 2, strides: [2, 3], pad: "valid" },
  { x: [1, 12, 12, 2], k: [3, 3], co: 3, strides: [4, 4], pad: "same" },
  { x: [1, 6, 6, 1], k: [1, 1], co: 3, strides: [2, 2], pad: "valid" },
  { x: [1, 12, 12, 2], k: [2, 2], co: 3, strides: [3, 3], pad: "same" },
  {
    x: [2, 7, 8, 3],
    k: [3, 3],
    co: 2,
    strides: [2, 1],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
];

/**
 * Seeded random cases on top of the hand-picked ones: strides 1, 2 and 4 (GQN's), 'valid' and
 * 'same', kernels 1-5, odd and even sizes. A small LCG keeps them the same on every run.
 */
function randomCases(count: number, seed: number): ConvCase[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const s = [1, 2, 4][next(3)] as number;
    const k = 1 + next(5);
    const pad = next(2) === 0 ? "valid" : "same";
    const h = k + next(10);
    const w = k + next(10);
    cases.push({ x: [1 + next(3), h, w, 1 + next(6)], k: [k, k], co: 1 + next(6), strides: [s, s], pad });
  }
  return cases;
}

CONV_CASES.push(
  { x: [2, 8, 8, 4], k: [4, 4], co: 3, strides: [4, 4], pad: "same" },
  { x: [1, 10, 9, 3], k: [5, 5], co: 2, strides: [4, 4], pad: "same" },
  { x: [2, 8, 8, 3], k: [4, 4], co: 3, strides: [2, 2], pad: "same" },
  ...randomCases(8, 2024),
);

const label = (c: ConvCase) =>
  `x ${c.x.join("x")} k ${c.k.join("x")} -> ${c.co}, strides ${c.strides.join(",")}, pad ${JSON.stringify(c.pad)}`;

/**
 * Conv2D forward, input and filter gradients, and conv2dTranspose with its gradients, on the
 * current wasm kernels against the cpu backend, over {@link CONV_CASES}.
 */
export function describeConvParity(): void {
  describe.each(CONV_CASES.map((c, i) => [label(c), c, i] as const))("conv2d %s", (_name, c, i) => {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
    const convGrads = () => {
      const x = rand(c.x, 10 + i);
      const filter = rand(filterShape, 20 + i);
      const forward = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as "same");
      const y = forward(x, filter);
      // A non-uniform upstream gradient, so every output position is weighted differently.
      const weights = rand(y.shape, 30 + i);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(forward(a, b), weights)))([
        x,
        filter,
      ]);
      return [y, dx as tf.Tensor, dw as tf.Tensor];
    };

    it("forward, input and filter gradients match the cpu backend", async () => {
      expectClose(await on("wasm", convGrads), await on("cpu", convGrads));
    });

    it("conv2dTranspose and its gradients match the cpu backend", async () => {
      const transposed = () => {
        const y = tf.conv2d(
          tf.zeros(c.x) as tf.Tensor4D,
          tf.zeros(filterShape) as tf.Tensor4D,
          c.strides,
          c.pad as "same",
        );
        const dy = rand(y.shape, 40 + i);
        const filter = rand(filterShape, 50 + i);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.x, c.strides, c.pad as "same");
        const out = f(dy, filter);
        const weights = rand(out.shape, 60 + i);
        const [ddy, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weights)))([
          dy,
          filter,
        ]);
        return [out, ddy as tf.Tensor, dw as tf.Tensor];
      };
      expectClose(await on("wasm", transposed), await on("cpu", transposed));
    });
  });
}

/**
 * One GQN-shaped training step on small tensors: a tower-like encoder (k2 s2 and k4 s4 'valid'
 * convs, a k3 'same' conv), the representation tiled with a pose and concatenated, a conv-LSTM
 * cell (k5 'same', sigmoid/tanh gates), a k4 s4 conv2dTranspose canvas update, and an ELBO-like
 * loss (square, log, exp, softplus, sum, mean). Returns the loss and every weight's gradient.
 */
export function trainingStepGrads(): tf.Tensor[] {
  const frames = rand([4, 16, 16, 3], 1); // [B*K, 16, 16, 3]
  const pose = rand([2, 1, 1, 7], 2); // [B, 1, 1, 7]
  const target = tf.sigmoid(rand([2, 16, 16, 3], 3)); // [B, 16, 16, 3]
  const scale = (shape: number[], seed: number, s: number) =>
    tf.variable(tf.mul(rand(shape, seed), s)) as tf.Variable<tf.Rank.R4>;
  const weights = {
    enc1: scale([2, 2, 3, 8], 10, 0.4),
    enc2: scale([3, 3, 8, 8], 11, 0.2),
    enc3: scale([2, 2, 8, 6], 12, 0.3),
    gates: scale([5, 5, 6 + 7 + 4, 16], 13, 0.05),
    gateBias: scale([16], 14, 0.1) as tf.Variable,
    up: scale([4, 4, 3, 4], 15, 0.2),
    prior: scale([4, 4, 4, 4], 16, 0.1),
  };
  const loss = () => {
    let h = tf.relu(tf.conv2d(frames as tf.Tensor4D, weights.enc1, 2, "valid")); // [4, 8, 8, 8]
    h = tf.relu(tf.conv2d(h, weights.enc2, 1, "same")); // [4, 8, 8, 8]
    const r = tf.conv2d(h, weights.enc3, 2, "valid"); // [4, 4, 4, 6]
    const rep = tf.sum(tf.reshape(r, [2, 2, 4, 4, 6]), 1); // [2, 4, 4, 6] (sum over views)
    const state = tf.zeros([2, 4, 4, 4]);
    const input = tf.concat([rep, tf.tile(pose, [1, 4, 4, 1]), state], 3); // [2, 4, 4, 17]
    const z = tf.add(tf.conv2d(input as tf.Tensor4D, weights.gates, 1, "same"), weights.gateBias); // [2, 4, 4, 16]
    const [i, f, o, g] = tf.split(z, 4, 3) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const c = tf.add(tf.mul(tf.sigmoid(f), state), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    const hidden = tf.mul(tf.sigmoid(o), tf.tanh(c)); // [2, 4, 4, 4]
    const canvas = tf.conv2dTranspose(hidden as tf.Tensor4D, weights.up, [2, 16, 16, 3], 4, "valid"); // [2, 16, 16, 3]
    const stats = tf.conv2d(hidden as tf.Tensor4D, weights.prior, 1, "same"); // [2, 4, 4, 4]
    const [mu, rawSigma] = tf.split(stats, 2, 3) as [tf.Tensor, tf.Tensor];
    const sigma = tf.add(tf.softplus(rawSigma), 1e-3);
    const kl = tf.mean(tf.sub(tf.add(tf.square(mu), tf.square(sigma)), tf.add(tf.log(tf.square(sigma)), 1)));
    const nll = tf.mean(tf.square(tf.sub(canvas, target)));
    return tf.add(
      tf.add(nll, tf.mul(kl, 0.5)),
      tf.mul(tf.mean(tf.exp(tf.neg(tf.square(canvas)))), 0.1),
    ) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(loss);
  const out = [value, ...Object.values(weights).map((w) => grads[w.name] as tf.Tensor)];
  for (const w of Object.values(weights)) w.dispose();
  return out;
}
