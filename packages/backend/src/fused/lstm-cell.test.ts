import { FUSED_KERNELS } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { expectClose, on, rand } from "../../test/conv-parity.js";

// The unfused reference: the ConvLSTM update in plain tfjs ops (as @gqn/draw writes it).
function unfused(gates: tf.Tensor, c: tf.Tensor): tf.Tensor[] {
  const [i, j, f, o] = tf.split(gates, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const cNext = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), c), tf.mul(tf.sigmoid(i), tf.tanh(j)));
  return [tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext];
}

function fused(gates: tf.Tensor, c: tf.Tensor): tf.Tensor[] {
  const [hc, act, tanhC] = tf.engine().runKernel(FUSED_KERNELS.lstmCell, { gates, c }, { forgetBias: 1 }) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  return [...tf.split(hc, 2, -1), act, tanhC];
}

// Values large enough to reach the sigmoid's and tanh's flat parts.
const inputs = () => [tf.mul(rand([2, 3, 5, 4 * 6], 1), 3), tf.mul(rand([2, 3, 5, 6], 2), 2)] as const;
const dys = () => [rand([2, 3, 5, 6], 3), rand([2, 3, 5, 6], 4)] as const;

describe.each(["wasm", "cpu"])("fused ConvLSTM cell kernels on %s", (backend) => {
  it("registers both kernels", async () => {
    await on(backend, () => {
      expect(tf.getKernel(FUSED_KERNELS.lstmCell, backend)).toBeDefined();
      expect(tf.getKernel(FUSED_KERNELS.lstmCellGrad, backend)).toBeDefined();
      return [];
    });
  });

  it("the cell gives the unfused h' and c', and the activations its gradient reads", async () => {
    const got = await on(backend, () => fused(...inputs()));
    const want = await on(backend, () => {
      const [gates, c] = inputs();
      const [i, j, f, o] = tf.split(gates, 4, -1) as tf.Tensor[];
      const act = tf.concat(
        [
          tf.sigmoid(i as tf.Tensor),
          tf.tanh(j as tf.Tensor),
          tf.sigmoid(tf.add(f as tf.Tensor, 1)),
          tf.sigmoid(o as tf.Tensor),
        ],
        -1,
      );
      const [h, cNext] = unfused(gates, c);
      return [h as tf.Tensor, cNext as tf.Tensor, act, tf.tanh(cNext as tf.Tensor)];
    });
    expectClose(got, want);
  });

  it("the gradient kernel gives the unfused ops' gradients of gates and c", async () => {
    const grad = (cell: "fused" | "unfused") => () => {
      const [gates, c] = inputs();
      const [dh, dc] = dys();
      if (cell === "unfused") {
        // Gradient of sum(h * dh + c' * dc) through the plain ops.
        return tf.grads((g: tf.Tensor, cc: tf.Tensor) => {
          const [h, cNext] = unfused(g, cc) as [tf.Tensor, tf.Tensor];
          return tf.add(tf.sum(tf.mul(h, dh)), tf.sum(tf.mul(cNext, dc)));
        })([gates, c]);
      }
      const [, , act, tanhC] = fused(gates, c);
      return tf.engine().runKernel(FUSED_KERNELS.lstmCellGrad, {
        dhc: tf.concat([dh, dc], -1),
        c,
        activations: act as tf.Tensor,
        tanhC: tanhC as tf.Tensor,
      }) as tf.Tensor[];
    };
    expectClose(await on(backend, grad("fused")), await on(backend, grad("unfused")));
  });

  it("rejects gates without 4x the channels of c, and leaks nothing", async () => {
    await on(backend, () => {
      const before = tf.memory().numTensors;
      expect(() => fused(tf.zeros([1, 2, 2, 8]), tf.zeros([1, 2, 2, 3]))).toThrow(/4x the channels/);
      expect(tf.memory().numTensors).toBe(before + 2);
      return [];
    });
  });
});
