import type * as tf from "@tensorflow/tfjs-core";
import type { KernelScope } from "./kernel-scope.js";

/** A plain NHWC convolution with explicit, non-negative padding: the one primitive every training kernel here reduces to. */
export interface ConvParams {
  /** `[strideHeight, strideWidth]`. */
  readonly strides: readonly [number, number];
  /** `[dilationHeight, dilationWidth]`. */
  readonly dilations: readonly [number, number];
  /** `[top, bottom, left, right]`, each >= 0. */
  readonly pads: readonly [number, number, number, number];
}

/**
 * A convolution filter `[kh, kw, Ci, Co]` (HWIO), built only when an engine needs it: an engine
 * that caches its own layout of the filter skips building it (the input gradient's filter is
 * derived from the weights, which stay the same through a training step's many uses).
 */
export interface ConvFilter {
  readonly shape: readonly [number, number, number, number];
  /** The filter as a backend tensor (a temporary of the scope, or borrowed). */
  materialize(): tf.TensorInfo;
  /**
   * When set, equal `source` (compared by identity: a tensor's immutable dataId) and `tag` mean
   * equal filter values, so an engine may cache what it derives from them.
   */
  readonly cacheKey?: { readonly source: object; readonly tag: string };
}

/**
 * Runs `x [N,H,W,Ci]` (*) `filter [kh,kw,Ci,Co]` (+ `bias [Co]`) -> `[N,Ho,Wo,Co]`. The default
 * runs the backend's own `Conv2D` kernel (XNNPACK on wasm); an accelerator (onnxruntime) may
 * replace it. Returning `undefined` means "not handled here": the caller uses the default.
 */
export type ConvEngine = (
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: ConvFilter,
  params: ConvParams,
  bias?: tf.TensorInfo,
) => tf.TensorInfo | undefined;

/**
 * Computes a convolution's filter gradient `[kh, kw, Ci, Co]` from `x [N,H,W,Ci]` and
 * `dy [N,Ho,Wo,Co]` directly (the forward convolution's `params`; `Ho`, `Wo` from `dy`), or
 * returns `undefined` for "not handled here": the caller then reduces it to a {@link runConv}.
 */
export type FilterGradientEngine = (
  scope: KernelScope,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  params: ConvParams,
  kernel: readonly [number, number],
) => tf.TensorInfo | undefined;

/** A {@link ConvFilter} over an existing tensor; its dataId keys caches. */
export function tensorFilter(info: tf.TensorInfo, tag = "hwio"): ConvFilter {
  return {
    shape: info.shape as unknown as [number, number, number, number],
    materialize: () => info,
    cacheKey: { source: info.dataId, tag },
  };
}

/** The backend's own `Conv2D` kernel, called with explicit padding. */
const backendConv = (
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: ConvFilter,
  { strides, dilations, pads }: ConvParams,
): tf.TensorInfo =>
  scope.run("Conv2D", { x, filter: filter.materialize() }, {
    strides: [strides[0], strides[1]],
    dilations: [dilations[0], dilations[1]],
    pad: [
      [0, 0],
      [pads[0], pads[1]],
      [pads[2], pads[3]],
      [0, 0],
    ],
    dataFormat: "NHWC",
  } as unknown as tf.NamedAttrMap);

// The slot lives on globalThis, like tfjs' kernel registry: the package's entries (index,
// node; ESM and CJS) are separate bundles with their own module state, and the accelerator
// installed through one must be seen by the kernels of the other.
const SLOT = Symbol.for("@gqn/backend/conv-accelerator");
const FILTER_GRADIENT_SLOT = Symbol.for("@gqn/backend/filter-gradient-accelerator");
const slots = globalThis as { [SLOT]?: ConvEngine; [FILTER_GRADIENT_SLOT]?: FilterGradientEngine };

/**
 * Installs (or, with `undefined`, removes) the engine tried before the backend's own Conv2D, and
 * optionally one for filter gradients (removed when not given).
 */
export function setConvAccelerator(
  engine: ConvEngine | undefined,
  filterGradient?: FilterGradientEngine,
): void {
  slots[SLOT] = engine;
  slots[FILTER_GRADIENT_SLOT] = engine ? filterGradient : undefined;
}

/** The installed accelerator, if any. */
export function getConvAccelerator(): ConvEngine | undefined {
  return slots[SLOT];
}

/** The installed filter-gradient accelerator, if any. */
export function getFilterGradientAccelerator(): FilterGradientEngine | undefined {
  return slots[FILTER_GRADIENT_SLOT];
}

/** Runs a convolution through the accelerator when one is installed and takes it, else the backend's `Conv2D`. */
export function runConv(
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: ConvFilter,
  params: ConvParams,
): tf.TensorInfo {
  return slots[SLOT]?.(scope, x, filter, params) ?? backendConv(scope, x, filter, params);
}
