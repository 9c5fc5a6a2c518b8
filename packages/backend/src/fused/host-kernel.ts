import * as tf from "@tensorflow/tfjs-core";
import { heapBackend } from "../wasm-kernels/heap-access.js";

/**
 * A kernel body over float32 arrays: reads `inputs` (whose shapes are `infos`), fills every
 * element of `outputs`.
 */
export type HostCompute = (
  inputs: Float32Array[],
  outputs: Float32Array[],
  attrs: tf.NamedAttrMap,
  infos: tf.TensorInfo[],
) => void;

/** A kernel written once over float32 arrays, for backends whose memory JavaScript reads. */
export interface ArrayKernelSpec {
  readonly name: string;
  /** Input names, in the order `compute` gets them. */
  readonly inputs: readonly string[];
  /** The output shapes (all float32), from the inputs' shapes. */
  outputShapes(inputs: tf.TensorInfo[], attrs: tf.NamedAttrMap): number[][];
  readonly compute: HostCompute;
}

/** A fused kernel for the backends whose memory JavaScript reads (wasm and cpu). */
export interface HostKernel {
  readonly name: string;
  /** Its kernel function on `backendName`. */
  kernelFunc(backendName: string): tf.KernelFunc;
}

/**
 * Float32 tensors of a wasm or cpu backend as arrays JavaScript reads and writes in place. On
 * wasm a view is valid until the next allocation (a heap growth detaches it): take views after
 * allocating, and again after running another kernel.
 */
export interface HostMemory {
  alloc(shape: number[]): tf.TensorInfo;
  view(info: tf.TensorInfo): Float32Array;
}

/** {@link HostMemory} of `backend`: the wasm heap, or the cpu backend's own arrays. */
export function hostMemory(backend: tf.KernelBackend): HostMemory {
  const heap = heapBackend(backend);
  if (heap) {
    return {
      alloc: (shape) => heap.makeOutput(shape, "float32"),
      view: (info) => heap.typedArrayFromHeap(info),
    };
  }
  return {
    // The cpu backend stores the very array it is given and returns it from readSync.
    alloc: (shape) => ({
      dataId: backend.write(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, "float32"),
      shape,
      dtype: "float32",
    }),
    view: (info) => backend.readSync(info.dataId) as Float32Array,
  };
}

/**
 * The tfjs kernel function of `kernel`, through {@link hostMemory}: outputs are allocated first
 * (on wasm a heap growth detaches earlier views), then every tensor is viewed in place.
 */
export function arrayKernelFunc(kernel: ArrayKernelSpec): tf.KernelFunc {
  return ({ inputs, attrs = {}, backend }) => {
    const ins = kernel.inputs.map((name) => {
      const info = inputs[name];
      if (info?.dtype !== "float32") {
        throw new Error(`${kernel.name}: input ${name} must be a float32 tensor.`);
      }
      return info;
    });
    const memory = hostMemory(backend as tf.KernelBackend);
    const outs = kernel.outputShapes(ins, attrs).map((shape) => memory.alloc(shape));
    kernel.compute(ins.map(memory.view), outs.map(memory.view), attrs, ins);
    return outs;
  };
}

/** The backends whose memory {@link hostMemory} can read synchronously. */
const HOST_BACKENDS = ["wasm", "cpu"] as const;

/** Registers `kernels` for wasm and cpu (replacing an earlier registration). Idempotent. */
export function registerHostKernels(kernels: readonly HostKernel[]): void {
  for (const backendName of HOST_BACKENDS) {
    for (const kernel of kernels) {
      if (tf.getKernel(kernel.name, backendName)) tf.unregisterKernel(kernel.name, backendName);
      tf.registerKernel({ kernelName: kernel.name, backendName, kernelFunc: kernel.kernelFunc(backendName) });
    }
  }
}
