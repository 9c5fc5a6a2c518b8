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
 * Runs `x [N,H,W,Ci]` (*) `filter [kh,kw,Ci,Co]` -> `[N,Ho,Wo,Co]`. The default runs the
 * backend's own `Conv2D` kernel (XNNPACK on wasm); an accelerator (onnxruntime) may replace it.
 * Returning `undefined` means "not handled here": the caller falls back to the default.
 */
export type ConvEngine = (
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  params: ConvParams,
) => tf.TensorInfo | undefined;

/** The backend's own `Conv2D` kernel, called with explicit padding. */
export const backendConv = (
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  { strides, dilations, pads }: ConvParams,
): tf.TensorInfo =>
  scope.run("Conv2D", { x, filter }, {
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

let accelerator: ConvEngine | undefined;

/** Installs (or, with `undefined`, removes) the engine tried before the backend's own Conv2D. */
export function setConvAccelerator(engine: ConvEngine | undefined): void {
  accelerator = engine;
}

/** The installed accelerator, if any. */
export function getConvAccelerator(): ConvEngine | undefined {
  return accelerator;
}

/** Runs a convolution through the accelerator when one is installed and takes it, else the backend. */
export function runConv(
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  params: ConvParams,
): tf.TensorInfo {
  return accelerator?.(scope, x, filter, params) ?? backendConv(scope, x, filter, params);
}
