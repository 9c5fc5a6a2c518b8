// The wasm heap at its 4 GB limit, where a tf-gqn DRAW step used to abort the runtime: the heap
// is filled with untouched blocks (virtual memory, not resident), so this takes about a second.
import "@tensorflow/tfjs-backend-cpu";
import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { source } from "../../test/kernel-cases.js";
import { initBackend } from "../backend-selection.js";
import type { HeapBackend } from "./heap-access.js";

type WasmBackend = HeapBackend & {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
};

const MB = 2 ** 20;

/** Fills the heap with blocks of 256 MB down to 1 MB until none fits; returns them, last (highest) last. */
function fillHeap(backend: WasmBackend): tf.TensorInfo[] {
  const blocks: tf.TensorInfo[] = [];
  for (const bytes of [256 * MB, 64 * MB, 16 * MB, 4 * MB, MB]) {
    let refused = false;
    for (let i = 0; i <= 2 ** 32 / bytes && !refused; i++) {
      try {
        blocks.push(backend.makeOutput([bytes / 4], "float32"));
      } catch (error) {
        if (!isGqnError(error, "OUT_OF_MEMORY")) throw error;
        refused = true;
      }
    }
    if (!refused)
      throw new Error(`fillHeap: more than 4 GB of ${bytes / MB} MB blocks, and no OUT_OF_MEMORY.`);
  }
  return blocks;
}

/** The inference core's input at tf-gqn size, as a concat of a concat: [1, 16, 16, 263 + 3 * 256]. */
function coreInput(): tf.Tensor4D {
  const condition = source([1, 16, 16, 263], "float32", 1);
  const [hg, seen, h] = [2, 3, 4].map((seed) => source([1, 16, 16, 256], "float32", seed));
  return tf.concat(
    [tf.concat([condition, tf.concat([hg as tf.Tensor, seen as tf.Tensor], 3)], 3), h as tf.Tensor],
    3,
  ) as tf.Tensor4D;
}

/** Copies, a conv and its gradients on the core input: the ops of a DRAW step's inference core. */
function coreStep(): tf.Tensor[] {
  const x = coreInput();
  const kernel = source([3, 3, 1031, 4], "float32", 5);
  const [first, rest] = tf.split(x, [263, 768], 3) as [tf.Tensor, tf.Tensor];
  const again = tf.concat([tf.slice(rest, [0, 0, 0, 5], [1, 16, 16, 700]), tf.clone(first)], 3);
  const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same");
  const weights = source([1, 16, 16, 4], "float32", 6);
  const [dx, dk] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), weights)))([x, kernel]);
  return [x, again, conv(x, kernel), dx as tf.Tensor, dk as tf.Tensor];
}

describe("the wasm heap at its 4 GB limit", () => {
  let backend: WasmBackend;
  let blocks: tf.TensorInfo[] = [];

  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
    backend = tf.backend() as unknown as WasmBackend;
  });

  afterAll(() => {
    for (const block of blocks) backend.disposeData(block.dataId);
  });

  // The tests run in order on the heap this first one fills (in a test, so a failure is one).
  it("fills to ~4 GB and then refuses with OUT_OF_MEMORY, not address 0", () => {
    blocks = fillHeap(backend);
    expect(backend.wasm.HEAPU8.buffer.byteLength).toBeGreaterThan(4000 * MB);
    expect(blocks.every((b) => backend.getMemoryOffset(b.dataId) > 0)).toBe(true);
  });

  it("a tf-gqn-sized concat of a concat that does not fit throws and leaves nothing behind", () => {
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    expect(() => tf.tidy(() => coreInput())).toThrow(/wasm heap is full/);
    expect([tf.memory().numTensors, backend.numDataIds()]).toEqual([tensors, buffers]);
  });

  it("a tensor of 4 GiB or more throws instead of wrapping to a small block", () => {
    expect(() => backend.makeOutput([2 ** 30 + 1], "float32")).toThrow(/must fit in the 4 GB wasm heap/);
  });

  it("at the top of the heap (offsets above 3.5 GiB), copies and conv gradients match the cpu", async () => {
    // Free the last blocks, the highest: what the step allocates lands there.
    let freed = 0;
    while (freed < 48 * MB) {
      const block = blocks.pop() as tf.TensorInfo;
      freed += tf.util.sizeFromShape(block.shape) * 4;
      backend.disposeData(block.dataId);
    }
    const outs = tf.tidy(coreStep);
    const offsets = outs.map((t) => backend.getMemoryOffset(t.dataId));
    const wasm = outs.map((t) => Array.from(t.dataSync()));
    tf.dispose(outs);
    expect(Math.min(...offsets)).toBeGreaterThan(3.5 * 2 ** 30);
    await tf.setBackend("cpu");
    try {
      const cpu = tf.tidy(coreStep).map((t) => {
        const values = Array.from(t.dataSync());
        t.dispose();
        return values;
      });
      cpu.forEach((expected, i) => {
        const actual = wasm[i] as number[];
        let [scale, worst] = [0, 0];
        expected.forEach((v, j) => {
          scale = Math.max(scale, Math.abs(v));
          worst = Math.max(worst, Math.abs((actual[j] as number) - v));
        });
        // The copies are exact; the convolutions sum in another order.
        expect(worst / scale, `output ${i}`).toBeLessThanOrEqual(i < 2 ? 0 : 2e-5);
      });
    } finally {
      await tf.setBackend("wasm");
    }
  });
});
