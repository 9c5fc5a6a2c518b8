import type * as tf from "@tensorflow/tfjs-core";

/** tfjs-backend-wasm internals for reading and writing tensor memory in place. */
export interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The backend as a {@link HeapBackend}, or undefined when it is not one (not wasm). */
export function heapBackend(backend: tf.KernelBackend): HeapBackend | undefined {
  const candidate = backend as Partial<HeapBackend>;
  return typeof candidate.typedArrayFromHeap === "function" && typeof candidate.makeOutput === "function"
    ? (backend as HeapBackend)
    : undefined;
}
