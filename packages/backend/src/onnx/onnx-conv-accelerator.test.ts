import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeConvParity, expectClose, on, rand, trainingStepGrads } from "../../test/conv-parity.js";
import { initBackend } from "../backend-selection.js";
import { getConvAccelerator, getFilterGradientAccelerator } from "../wasm-kernels/conv-engine.js";
import {
  enableOnnxConvAccelerator,
  type OnnxConvAccelerator,
  tryEnableOnnxConvAccelerator,
} from "./onnx-conv-accelerator.js";

/** Whether onnxruntime-node loads here; the suite below is skipped, with the reason, when not. */
function probe(): { ok: true } | { ok: false; reason: string } {
  try {
    enableOnnxConvAccelerator().disable();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

const available = probe();
if (!available.ok) console.warn(`[skip] onnxruntime accelerator tests: ${available.reason}`);

describe.skipIf(!available.ok).each(["gemm", "conv"] as const)(
  "enableOnnxConvAccelerator, method %s",
  (method) => {
    let accelerator: OnnxConvAccelerator;
    beforeAll(async () => {
      await initBackend({ backend: "wasm", log: () => {} });
      // minFlops 0: the tiny test shapes would otherwise stay on XNNPACK.
      accelerator = enableOnnxConvAccelerator({ minFlops: 0, method });
    });
    afterAll(() => {
      accelerator.disable();
    });

    describeConvParity();

    it("a GQN-shaped training step gives the cpu backend's loss and gradients", async () => {
      expectClose(await on("wasm", trainingStepGrads), await on("cpu", trainingStepGrads));
    });

    it("ran the convolutions above through onnxruntime", () => {
      expect(accelerator.stats.accelerated).toBeGreaterThan(50);
      expect(accelerator.stats.sessionsBuilt).toBeGreaterThan(10);
      // Only the gemm method writes patch matrices (and runs filter gradients as one Gemm).
      if (method === "gemm") expect(accelerator.stats.patchMs).toBeGreaterThan(0);
      else expect(accelerator.stats.patchMs).toBe(0);
    });

    it("a convolution and its filter gradient are two onnxruntime calls, both matching the cpu backend", async () => {
      const filterGrad = () => {
        const x = rand([2, 6, 6, 3], 5);
        const weights = rand([2, 3, 3, 4], 6);
        const loss = (f: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, "same"), weights));
        return [tf.grad(loss)(rand([3, 3, 3, 4], 7))];
      };
      const before = accelerator.stats.accelerated;
      expectClose(await on("wasm", filterGrad), await on("cpu", filterGrad));
      expect(accelerator.stats.accelerated).toBe(before + 2);
    });

    it("fused conv2d with bias and relu matches the cpu backend, and leaks nothing", async () => {
      const fused = () => {
        const x = rand([2, 9, 9, 3], 1);
        const filter = rand([3, 3, 3, 5], 2);
        const bias = rand([5], 3);
        return [
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: filter as tf.Tensor4D,
            strides: 2,
            pad: "same",
            bias,
            activation: "relu",
          }),
        ];
      };
      const before = accelerator.stats.accelerated;
      const tensors = tf.memory().numTensors;
      expectClose(await on("wasm", fused), await on("cpu", fused));
      expect(accelerator.stats.accelerated).toBe(before + 1);
      expect(tf.memory().numTensors).toBe(tensors);
    });

    it("a 1x1 convolution feeds its input as the patch matrix, no copy", async () => {
      const pointwise = () => [
        tf.conv2d(rand([2, 5, 5, 6], 7) as tf.Tensor4D, rand([1, 1, 6, 3], 8) as tf.Tensor4D, 1, "valid"),
      ];
      const patchMs = accelerator.stats.patchMs;
      const before = accelerator.stats.accelerated;
      expectClose(await on("wasm", pointwise), await on("cpu", pointwise));
      expect(accelerator.stats.accelerated).toBe(before + 1);
      expect(accelerator.stats.patchMs).toBe(patchMs);
    });

    it("leaves convolutions below minFlops to XNNPACK", () => {
      const small = enableOnnxConvAccelerator({ minFlops: 1e12 });
      try {
        const y = tf.conv2d(
          tf.ones([1, 4, 4, 2]) as tf.Tensor4D,
          tf.ones([3, 3, 2, 2]) as tf.Tensor4D,
          1,
          "same",
        );
        expect(Array.from(y.dataSync()).slice(0, 2)).toEqual([8, 8]);
        y.dispose();
        expect(small.stats.accelerated).toBe(0);
        expect(small.stats.declined).toBe(1);
      } finally {
        small.disable();
        accelerator = enableOnnxConvAccelerator({ minFlops: 0, method });
      }
    });

    it("disable() uninstalls it", () => {
      const other = enableOnnxConvAccelerator();
      expect(getConvAccelerator()).toBeDefined();
      other.disable();
      expect(getConvAccelerator()).toBeUndefined();
      expect(getFilterGradientAccelerator()).toBeUndefined();
      accelerator = enableOnnxConvAccelerator({ minFlops: 0, method });
    });
  },
);

describe("enableOnnxConvAccelerator without onnxruntime-node", () => {
  it("throws BACKEND_UNAVAILABLE with the install command", () => {
    const requireModule = (name: string) => {
      throw new Error(`Cannot find module '${name}'`);
    };
    let error: unknown;
    try {
      enableOnnxConvAccelerator({ requireModule });
    } catch (caught) {
      error = caught;
    }
    expect(isGqnError(error, "BACKEND_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toBe(
      "enableOnnxConvAccelerator: onnxruntime-node could not be loaded (Cannot find module 'onnxruntime-node'); to install it: npm install onnxruntime-node@1.30.0 --ignore-scripts (its CPU binary ships in the package).",
    );
    expect(getConvAccelerator()).toBeUndefined();
  });

  it("says in one short line that it is optional when it is not installed, and the reason otherwise", () => {
    const lines: string[] = [];
    const missing = (name: string) => {
      throw new Error(`Cannot find module '${name}'\nRequire stack:\n- /somewhere`);
    };
    expect(
      tryEnableOnnxConvAccelerator({ requireModule: missing, log: (line) => lines.push(line) }),
    ).toBeUndefined();
    const broken = () => {
      throw new Error("libonnxruntime.so.1: cannot open shared object file");
    };
    tryEnableOnnxConvAccelerator({ requireModule: broken, log: (line) => lines.push(line) });
    expect(lines).toEqual([
      "[gqn] convolutions: XNNPACK (onnxruntime-node, optional, is not installed; docs/performance.md says how to add it)",
      expect.stringMatching(
        /^\[gqn\] convolutions: XNNPACK \(enableOnnxConvAccelerator: onnxruntime-node could not be loaded \(libonnxruntime\.so\.1: cannot open/,
      ),
    ]);
  });

  it("rejects an unknown method", () => {
    expect(() => enableOnnxConvAccelerator({ method: "winograd" as "gemm" })).toThrow(
      'enableOnnxConvAccelerator: method must be "gemm" or "conv", but got "winograd".',
    );
  });

  it("rejects a bad thread count", () => {
    expect(() => enableOnnxConvAccelerator({ threads: -1 })).toThrow(
      "enableOnnxConvAccelerator: threads must be a non-negative integer, but got -1.",
    );
  });
});
