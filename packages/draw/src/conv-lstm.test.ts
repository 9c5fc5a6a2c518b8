import { FUSED_KERNELS } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  conditionedCore,
  convLstmStep,
  convLstmUpdate,
  fusedConvLstmUpdate,
  unfusedConvLstmUpdate,
} from "./conv-lstm.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("convLstmStep", () => {
  it("matches a hand computation (1x1 kernel, 1x1 grid, C = 1): gates i, j, f, o with forget bias 1", () => {
    // input x = 0.5 (one channel), h = -0.25, c = 0.75; kernel rows: [x, h] -> [i, j, f, o].
    const weights = [
      [0.1, -0.2, 0.3, 0.4], // from x
      [0.5, 0.6, -0.7, 0.8], // from h
    ];
    const bias = [0.05, -0.05, 0.1, -0.1];
    const x = 0.5;
    const h0 = -0.25;
    const c0 = 0.75;
    const pre = [0, 1, 2, 3].map(
      (g) => x * (weights[0]?.[g] ?? 0) + h0 * (weights[1]?.[g] ?? 0) + (bias[g] ?? 0),
    );
    const [i, j, f, o] = pre as [number, number, number, number];
    const c1 = sigmoid(f + 1) * c0 + sigmoid(i) * Math.tanh(j);
    const h1 = sigmoid(o) * Math.tanh(c1);

    const result = tf.tidy(() => {
      const state = convLstmStep(
        tf.tensor4d([x], [1, 1, 1, 1]),
        { h: tf.tensor4d([h0], [1, 1, 1, 1]), c: tf.tensor4d([c0], [1, 1, 1, 1]) },
        tf.tensor4d(weights.flat(), [1, 1, 2, 4]),
        tf.tensor1d(bias),
      );
      return [state.h.dataSync()[0], state.c.dataSync()[0]];
    });
    expect(result[0]).toBeCloseTo(h1, 6);
    expect(result[1]).toBeCloseTo(c1, 6);
  });

  it("uses the neighbourhood through one 'same' convolution (3x3 kernel sees the neighbours)", () => {
    tf.tidy(() => {
      const input = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
      const zeros = tf.zeros([1, 3, 3, 2]) as tf.Tensor4D;
      // Only the candidate j of channel 0 reads the input, through every kernel tap.
      const kernel = tf.buffer([3, 3, 3, 8]);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) kernel.set(1, a, b, 0, 2);
      const state = convLstmStep(
        input,
        { h: zeros, c: zeros },
        kernel.toTensor() as tf.Tensor4D,
        tf.zeros([8]) as tf.Tensor1D,
      );
      const c = state.c.dataSync();
      // c = sigmoid(0) * tanh(j): nonzero exactly where the 3x3 window holds the corner pixel.
      const expected = sigmoid(0) * Math.tanh(1);
      expect(c[0]).toBeCloseTo(expected, 6); // (0,0) channel 0
      expect(c[2]).toBeCloseTo(expected, 6); // (0,1)
      expect(c[6]).toBeCloseTo(expected, 6); // (1,1)
      expect(c[4]).toBeCloseTo(0, 6); // (0,2): outside the window
      expect(c[1]).toBeCloseTo(0, 6); // channel 1 never reads it
    });
  });
});

describe("conditionedCore", () => {
  it("steps as convLstmStep on concat(condition, rest), with the condition's gates precomputed or not", () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const condition = tf.randomNormal([2, 4, 4, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const rest = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 2) as tf.Tensor4D;
      const hidden = 5;
      const kernel = tf.randomNormal([3, 3, 3 + 2 + hidden, 4 * hidden], 0, 0.3, "float32", 3) as tf.Tensor4D;
      const bias = tf.randomNormal([4 * hidden], 0, 0.1, "float32", 4) as tf.Tensor1D;
      let reference = {
        h: tf.zeros([2, 4, 4, hidden]) as tf.Tensor4D,
        c: tf.zeros([2, 4, 4, hidden]) as tf.Tensor4D,
      };
      let [pre, whole] = [reference, reference];
      const precomputed = conditionedCore(condition, kernel, bias, { precompute: true });
      const plain = conditionedCore(condition, kernel, bias, { precompute: false });
      for (let step = 0; step < 3; step++) {
        reference = convLstmStep(tf.concat([condition, rest], 3) as tf.Tensor4D, reference, kernel, bias);
        pre = precomputed.step([rest], pre);
        whole = plain.step([rest], whole);
      }
      for (const state of [pre, whole]) {
        expect(tf.max(tf.abs(tf.sub(state.h, reference.h))).dataSync()[0]).toBeLessThan(1e-5);
        expect(tf.max(tf.abs(tf.sub(state.c, reference.c))).dataSync()[0]).toBeLessThan(1e-5);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("convLstmUpdate: the fused kernels against the plain ops", () => {
  const gates = () => tf.mul(tf.randomUniform([2, 4, 4, 4 * 5], -1, 1, "float32", 7), 3) as tf.Tensor4D;
  const state = () => ({
    h: tf.randomUniform([2, 4, 4, 5], -1, 1, "float32", 8) as tf.Tensor4D,
    c: tf.mul(tf.randomUniform([2, 4, 4, 5], -1, 1, "float32", 9), 2) as tf.Tensor4D,
  });
  const weights = () => tf.randomUniform([2, 4, 4, 5], -1, 1, "float32", 10);
  // A scalar of h' and c' (different weights, so that both gradients matter), and its gradients.
  const run = (update: typeof fusedConvLstmUpdate) =>
    tf.tidy(() => {
      const w = weights();
      const { value, grads } = tf.valueAndGrads((g: tf.Tensor, c: tf.Tensor) => {
        const next = update(g as tf.Tensor4D, { h: state().h, c: c as tf.Tensor4D });
        return tf.add(tf.sum(tf.mul(next.h, w)), tf.sum(tf.mul(next.c, tf.sub(1, w))));
      })([gates(), state().c]);
      return [value, ...grads].map((t) => Array.from(t.dataSync()));
    });

  it("uses @gqn/backend's fused cell on this backend", () => {
    expect(tf.getKernel(FUSED_KERNELS.lstmCell, tf.getBackend())).toBeDefined();
    const profiled = tf.tidy(() => {
      const names: string[] = [];
      const engine = tf.engine() as unknown as { runKernel: (n: string, ...r: unknown[]) => unknown };
      const runKernel = engine.runKernel.bind(engine);
      engine.runKernel = (n: string, ...r: unknown[]) => {
        names.push(n);
        return runKernel(n, ...r);
      };
      try {
        convLstmUpdate(gates(), state());
      } finally {
        engine.runKernel = runKernel;
      }
      return names;
    });
    expect(profiled).toContain(FUSED_KERNELS.lstmCell);
  });

  it("falls back to the plain ops on a backend without the fused kernels", () => {
    const backend = tf.getBackend();
    const configs = [FUSED_KERNELS.lstmCell, FUSED_KERNELS.lstmCellGrad].map(
      (name) => tf.getKernel(name, backend) as tf.KernelConfig,
    );
    for (const config of configs) tf.unregisterKernel(config.kernelName, backend);
    try {
      expect(run(convLstmUpdate)).toEqual(run(unfusedConvLstmUpdate));
    } finally {
      for (const config of configs) tf.registerKernel(config);
    }
    expect(tf.getKernel(FUSED_KERNELS.lstmCell, backend)).toBeDefined();
  });

  it("gives the plain ops' values and gradients (gates and c), and leaks nothing", () => {
    const before = tf.memory().numTensors;
    const fused = run(fusedConvLstmUpdate);
    const plain = run(unfusedConvLstmUpdate);
    expect(tf.memory().numTensors).toBe(before);
    fused.forEach((values, i) => {
      const want = plain[i] as number[];
      expect(values.length).toBe(want.length);
      const worst = Math.max(...values.map((v, k) => Math.abs(v - (want[k] as number))));
      expect(worst).toBeLessThan(2e-5 * Math.max(1, ...want.map(Math.abs)));
    });
    // The comparison has teeth: the gradient of gates is not all zeros.
    expect(Math.max(...(fused[1] as number[]).map(Math.abs))).toBeGreaterThan(0.01);
  });
});
