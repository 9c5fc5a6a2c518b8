import * as tf from "@tensorflow/tfjs-core";
import { convBackpropKernel } from "./wasm-kernels/conv-backprop-kernel.js";
import { conv2dBackpropFilterVia } from "./wasm-kernels/conv2d-backprop-filter.js";
import { conv2dBackpropInputVia } from "./wasm-kernels/conv2d-backprop-input.js";
import {
  castKernel,
  concatKernel,
  identityKernel,
  sliceKernel,
  splitVKernel,
} from "./wasm-kernels/copy-kernels.js";
import { forwardConvKernel } from "./wasm-kernels/forward-conv.js";
import { guardWasmHeap } from "./wasm-kernels/heap-guard.js";

const BACKEND = "wasm";

/** The kernels {@link registerWasmTrainingKernels} installs or replaces, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "Slice",
  "SplitV",
  "Concat",
  "Identity",
  "Cast",
] as const;

type KernelName = (typeof WASM_TRAINING_KERNELS)[number];

/** Builds our kernel, given the stock one it replaces (undefined when wasm has none). */
const FACTORIES: Record<KernelName, (stock: tf.KernelFunc | undefined) => tf.KernelFunc | undefined> = {
  Conv2D: (stock) => stock && forwardConvKernel(stock, BACKEND, false),
  FusedConv2D: (stock) => stock && forwardConvKernel(stock, BACKEND, true),
  Conv2DBackpropFilter: () => convBackpropKernel(BACKEND, conv2dBackpropFilterVia),
  Conv2DBackpropInput: () => convBackpropKernel(BACKEND, conv2dBackpropInputVia),
  Slice: (stock) => stock && sliceKernel(stock),
  SplitV: (stock) => stock && splitVKernel(stock),
  Concat: (stock) => stock && concatKernel(stock),
  Identity: (stock) => stock && identityKernel(stock),
  Cast: (stock) => stock && castKernel(stock),
};

/** Per kernel: the stock config we replaced (if any) and the function we registered. */
const installed = new Map<string, { stock: tf.KernelConfig | undefined; kernelFunc: tf.KernelFunc }>();

/**
 * Registers, for tfjs-backend-wasm, the training kernels it lacks (`Conv2DBackpropFilter`) and
 * faster or fixed versions of others: `Conv2DBackpropInput` (which `tf.conv2dTranspose` also
 * runs) rewritten as an XNNPACK forward convolution, and `Conv2D` / `FusedConv2D` with `'same'`
 * padding passed explicitly (the stock ones are wrong when the stride exceeds the kernel), and
 * `Slice` / `SplitV` / `Concat` that copy in place on the wasm heap (the stock ones copy the whole
 * input out first, and row by row), and an `Identity` that shares memory instead of copying (tfjs
 * clones every tensor a gradient saves: the stock kernel copied the weights at every use).
 * It also makes allocations that do not fit the 4 GB wasm heap throw a `GqnError`
 * (`OUT_OF_MEMORY`): tfjs-backend-wasm would place them at address 0 and corrupt the runtime,
 * which then aborts in a later, unrelated kernel.
 *
 * Idempotent, and safe before or after `tf.setBackend("wasm")` (the kernels need no setup), but
 * only after `@tensorflow/tfjs-backend-wasm` is loaded. {@link initBackend} calls it whenever it
 * picks wasm. Returns the names it (re)registered.
 */
export function registerWasmTrainingKernels(): string[] {
  const wasm = tf.engine().registry[BACKEND];
  if (wasm) guardWasmHeap(wasm);
  const done: string[] = [];
  for (const name of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(name, BACKEND);
    if (current && installed.get(name)?.kernelFunc === current.kernelFunc) continue;
    const ours = FACTORIES[name](current?.kernelFunc);
    if (!ours) continue;
    // The heap guard on the backend that runs our kernels, should it have been created later.
    const kernelFunc: tf.KernelFunc = (args) => {
      guardWasmHeap(args.backend as object);
      return ours(args);
    };
    if (current) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc });
    installed.set(name, { stock: current, kernelFunc });
    done.push(name);
  }
  return done;
}

/**
 * Removes the kernels of {@link registerWasmTrainingKernels} and puts back the stock ones they
 * replaced (for comparisons and benchmarks).
 */
export function unregisterWasmTrainingKernels(): void {
  for (const [name, { stock, kernelFunc }] of installed) {
    if (tf.getKernel(name, BACKEND)?.kernelFunc !== kernelFunc) continue;
    tf.unregisterKernel(name, BACKEND);
    if (stock) tf.registerKernel(stock);
    installed.delete(name);
  }
}
