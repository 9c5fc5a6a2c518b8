import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeConvParity, expectClose, on, rand, trainingStepGrads } from "../test/conv-parity.js";
import { initBackend } from "./backend-selection.js";
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from "./register-wasm-training-kernels.js";
import { derivedTensorCache, type HeapBackend, heapBackend } from "./wasm-kernels/heap-access.js";

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

  describeConvParity();

  it("a GQN-shaped training step gives the cpu backend's loss and gradients", async () => {
    expectClose(await on("wasm", trainingStepGrads), await on("cpu", trainingStepGrads));
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

describe("input-gradient filter cache", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
  });

  it("reuses the derived filter while the weights live and frees it after they go", () => {
    const cache = derivedTensorCache(heapBackend(tf.backend()) as HeapBackend);
    cache.sweep();
    const before = cache.size;
    const filter = rand([5, 5, 3, 4], 1);
    const dy = rand([2, 6, 6, 4], 2);
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
        strides: 1,
        pad: "same",
        dataFormat: "NHWC",
        inputShape: [2, 6, 6, 3],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const first = run();
    expect(cache.size).toBe(before + 1);
    const second = run();
    expect(cache.size).toBe(before + 1);
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
    filter.dispose();
    cache.sweep();
    expect(cache.size).toBe(before);
    tf.dispose([first, second, dy]);
  });
});

describe("a whole GQN-like training step", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
  });

  it("gives the cpu backend's loss and gradients (bench/gqn-like-model.mjs, micro config)", async () => {
    // @ts-expect-error: plain-JavaScript bench module, no declarations
    const { buildReplica, makeBatch } = await import("../bench/gqn-like-model.mjs");
    const config = {
      frameSize: 8,
      contextViews: 2,
      encoder: "pool",
      encoderChannels: 4,
      steps: 2,
      hidden: 4,
      canvas: 3,
      latent: 2,
    };
    const step = () => {
      const replica = buildReplica(config) as {
        variables: tf.Variable[];
        loss: (i: unknown, c: unknown) => tf.Scalar;
      };
      const batch = makeBatch(config, 2) as Record<string, tf.Tensor>;
      const { value, grads } = tf.variableGrads(() => replica.loss(batch, { sigma: 1 }), replica.variables);
      const out = [value, ...replica.variables.map((v) => grads[v.name] as tf.Tensor)];
      tf.dispose(replica.variables);
      return out;
    };
    expectClose(await on("wasm", step), await on("cpu", step));
  });
});
