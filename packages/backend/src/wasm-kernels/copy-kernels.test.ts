import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectClose, on, rand } from "../../test/conv-parity.js";
import { initBackend } from "../backend-selection.js";

describe("wasm Slice, SplitV and Concat", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
  });

  it("slice, split and concat (forward and gradients) match the cpu backend on float32", async () => {
    const run = () => {
      const x = rand([2, 5, 6, 67], 1);
      const y = rand([2, 5, 6, 3], 2);
      const outs: tf.Tensor[] = [
        tf.slice(x, [1, 1, 2, 3], [1, 3, 4, 60]),
        tf.slice(x, [0, 2, 0, 0], [2, 2, 6, 67]), // whole inner axes: one run per row block
        tf.slice(x, [1, 4, 5, 66], [1, 1, 1, 1]),
        tf.slice(tf.reshape(x, [2, 5, 2, 3, 67]), [0, 1, 1, 0, 5], [2, 3, 1, 2, 40]), // rank 5
        ...tf.split(x, [3, 64], 3),
        ...tf.split(x, 5, 1),
        ...tf.split(x, [1, 1], 0),
        tf.concat([y, x], 3),
        tf.concat([x, y, x], 3),
        tf.concat([x, x], 1),
        tf.concat([x, x], 0),
      ];
      // Gradients run the same kernels the other way round (concat <-> split, slice -> pad).
      const weights = rand([2, 5, 6, 70], 3);
      const [dx, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const [p, q] = tf.split(a, [3, 64], 3) as [tf.Tensor, tf.Tensor];
        const joined = tf.concat([q, b, tf.slice(p, [0, 0, 0, 0], [2, 5, 6, 3])], 3); // [2,5,6,70]
        return tf.sum(tf.mul(joined, weights));
      })([x, y]);
      return [...outs, dx as tf.Tensor, dy as tf.Tensor];
    };
    expectClose(await on("wasm", run), await on("cpu", run));
  });

  it("keeps int32 and bool values exact, and handles empty parts", async () => {
    const run = () => {
      const ints = tf.tensor3d([...Array(24).keys()], [2, 3, 4], "int32");
      const bools = tf.greater(ints, 10);
      const empty = tf.zeros([2, 3, 0], "int32");
      return [
        tf.slice(ints, [0, 1, 1], [2, 2, 2]),
        ...tf.split(ints, [1, 3], 2),
        tf.concat([ints, empty, ints], 2),
        tf.cast(tf.concat([bools, bools], 1), "int32"),
        tf.cast(tf.slice(bools, [1, 0, 2], [1, 3, 2]), "int32"),
      ];
    };
    const [wasm, cpu] = [await on("wasm", run), await on("cpu", run)];
    expect(wasm.map((t) => [t.shape, Array.from(t.values)])).toEqual(
      cpu.map((t) => [t.shape, Array.from(t.values)]),
    );
  });

  it("frees nothing it should keep and leaks nothing", () => {
    const x = rand([2, 4, 4, 8], 1);
    const before = tf.memory().numTensors;
    tf.dispose([tf.slice(x, [0, 1, 1, 2], [2, 2, 2, 4]), ...tf.split(x, 2, 3), tf.concat([x, x], 3)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it("Cast to the same dtype shares memory; to another dtype it converts", () => {
    const x = tf.tensor1d([1.5, -2.25, 3]);
    const before = tf.memory().numDataBuffers;
    const same = tf.cast(x, "float32");
    expect(tf.memory().numDataBuffers).toBe(before); // no copy: the same buffer
    x.dispose(); // the shared memory lives on with `same`
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    const ints = tf.cast(same, "int32");
    expect(ints.dtype).toBe("int32");
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([same, ints]);
  });
});
