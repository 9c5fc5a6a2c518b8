import * as tf from "@tensorflow/tfjs-core";
import { type ConvBackpropArgs, toNhwc } from "./conv-backprop-kernel.js";
import { getFilterGradientAccelerator, runConv } from "./conv-engine.js";
import type { KernelScope } from "./kernel-scope.js";

/**
 * `Conv2DBackpropFilter` for backends that have a fast forward convolution but no filter
 * gradient (tfjs-backend-wasm). The gradient
 *
 *   dW[a,b,ci,co] = sum_{n,i,j} x[n, i*s + a*d - pt, j*s + b*d - pl, ci] * dy[n,i,j,co]
 *
 * is itself a forward convolution once the batch and channel axes trade places: the input is
 * `x` as `[Ci,H,W,N]`, the filter is `dy` as `[Ho,Wo,N,Co]`, the stride is the forward
 * dilation `d` and the dilation is the forward stride `s`; the `kh x kw` output is the
 * gradient as `[Ci,kh,kw,Co]`. That runs on XNNPACK at forward speed (the cpu backend's
 * direct loop is ~25x slower).
 */
export function conv2dBackpropFilterVia(scope: KernelScope, args: ConvBackpropArgs): tf.TensorInfo {
  const { strides, pad, dimRoundingMode, channelsFirst, dy, inputs } = args;
  const { filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dilations = (args.attrs as { dilations?: number | [number, number] }).dilations ?? 1;
  const x = toNhwc(scope, inputs.x as tf.TensorInfo, channelsFirst);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw, inHeight: h, inWidth: w } = info;
  const [, ho, wo] = dy.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  // Padded extent that makes the gradient conv produce exactly kh x kw; a negative bottom/right
  // padding means rows of x the forward conv never read (valid padding with a stride): crop them.
  const bottom = (kh - 1) * dh + (ho - 1) * sh + 1 - h - top;
  const right = (kw - 1) * dw + (wo - 1) * sw + 1 - w - left;
  const n = x.shape[0] as number;
  const ci = x.shape[3] as number;
  const co = dy.shape[3] as number;
  const inputs2 = [inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo];
  const [usedH, usedW] = [h + Math.min(0, bottom), w + Math.min(0, right)];
  if (usedH <= 0 || usedW <= 0) {
    // Every window reads padding only (explicit pads, a stride past the input): no gradient.
    // XNNPACK given the empty crop returns uninitialised memory instead of zeros.
    return scope.result(scope.run("Fill", {}, { shape: [kh, kw, ci, co], value: 0, dtype: "float32" }), []);
  }
  const accelerated = getFilterGradientAccelerator()?.(
    scope,
    x,
    dy,
    { strides: [sh, sw], dilations: [dh, dw], pads: [top, Math.max(0, bottom), left, Math.max(0, right)] },
    [kh, kw],
  );
  if (accelerated) return scope.result(accelerated, inputs2);
  const xUsed = scope.slice(x, [0, 0, 0, 0], [n, usedH, usedW, ci]);
  if (
    kh === sh &&
    kw === sw &&
    dh === 1 &&
    dw === 1 &&
    top === 0 &&
    left === 0 &&
    bottom <= 0 &&
    right <= 0
  ) {
    // Non-overlapping windows (GQN's k2 s2 and k4 s4 'valid'): the gradient is one matrix
    // product, patches^T [kh*kw*Ci, N*Ho*Wo] x dy [N*Ho*Wo, Co]. As a convolution, XNNPACK
    // would walk Ho*Wo taps of only N channels each, at a third of the speed.
    const patchesT = scope.reshape(
      scope.transpose(scope.reshape(xUsed, [n * ho, kh, wo, kw * ci]), [1, 3, 0, 2]),
      [1, kh * kw * ci, n * ho * wo],
    );
    const grad = scope.run(
      "BatchMatMul",
      { a: patchesT, b: scope.reshape(dy, [1, n * ho * wo, co]) },
      { transposeA: false, transposeB: false },
    );
    return scope.result(scope.reshape(grad, [kh, kw, ci, co]), inputs2);
  }
  const xT = scope.transpose(xUsed, [3, 1, 2, 0]); // [Ci, H', W', N]
  const dyT = scope.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
  const dyFilter = {
    shape: dyT.shape as [number, number, number, number],
    materialize: () => dyT,
  };
  const grad = runConv(scope, xT, dyFilter, {
    strides: [dh, dw],
    dilations: [sh, sw],
    pads: [top, Math.max(0, bottom), left, Math.max(0, right)],
  }); // [Ci, kh, kw, Co]
  return scope.result(scope.transpose(grad, [1, 2, 0, 3]), inputs2);
}
