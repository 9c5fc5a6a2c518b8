import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "./backend-selection.js";
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from "./register-wasm-training-kernels.js";

type Pad = "valid" | "same" | [[0, 0], [number, number], [number, number], [0, 0]];

/** Runs `fn` on `backend` and returns its outputs as plain arrays (tensors created inside are freed). */
async function on(
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

function expectClose(
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
function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
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

const label = (c: ConvCase) =>
  `x ${c.x.join("x")} k ${c.k.join("x")} -> ${c.co}, strides ${c.strides.join(",")}, pad ${JSON.stringify(c.pad)}`;

describe("registerWasmTrainingKernels", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
  });
  afterAll(async () => {
    await tf.setBackend("wasm");
  });

  it("is registered by initBackend for wasm, and registering again changes nothing", () => {
    for (const name of WASM_TRAINING_KERNELS) expect(tf.getKernel(name, "wasm")).toBeDefined();
    expect(registerWasmTrainingKernels()).toEqual([]);
    const before = tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc;
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc).toBe(before);
  });

  it("unregister restores the stock kernels and register puts ours back", () => {
    const ours = tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc;
    let stock: tf.KernelFunc | undefined;
    unregisterWasmTrainingKernels();
    try {
      expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
      stock = tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc;
      expect(stock).toBeDefined();
      expect(stock).not.toBe(ours);
    } finally {
      expect(registerWasmTrainingKernels()).toEqual([...WASM_TRAINING_KERNELS]);
    }
    expect(tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc).not.toBe(stock);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeDefined();
  });

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

  it("handles NCHW inputs when called as kernels", async () => {
    const direct = () => {
      const x = rand([2, 3, 9, 10], 1);
      const dy = rand([2, 4, 4, 4], 2);
      const filter = rand([3, 3, 3, 4], 3);
      const attrs = { strides: [2, 2], pad: "valid", dataFormat: "NCHW", dimRoundingMode: undefined };
      const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        ...attrs,
        filterShape: [3, 3, 3, 4],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
        ...attrs,
        inputShape: [2, 3, 9, 10],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return [dw, dx];
    };
    expectClose(await on("wasm", direct), await on("cpu", direct));
  });

  it("frees every intermediate", () => {
    const x = rand([2, 9, 9, 3], 1);
    const filter = rand([4, 4, 3, 5], 2);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same"));
    const grads = tf.grads(f)([x, filter]); // warm-up
    tf.dispose(grads);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    tf.dispose(tf.grads(f)([x, filter]));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect((tf.memory() as { numDataBuffers?: number }).numDataBuffers).toBeDefined();
    tf.dispose([x, filter]);
  });
});
