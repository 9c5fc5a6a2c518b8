import * as tf from "@tensorflow/tfjs-core";
import type { ConvBackpropArgs } from "./conv-backprop-kernel.js";
import { type ConvFilter, runConv } from "./conv-engine.js";
import { derivedTensorCache, heapBackend } from "./heap-access.js";
import type { KernelScope } from "./kernel-scope.js";

/**
 * `Conv2DBackpropInput` (also the kernel behind `tf.conv2dTranspose`) as one stride-1 forward
 * convolution plus a depth-to-space shuffle, so that it runs on XNNPACK instead of
 * tfjs-backend-wasm's direct loop (~5 GFLOP/s).
 *
 * With stride s, a padded input row Y = s*P + R (0 <= R < s) receives dy row P - m through
 * filter row s*m + R, for m = 0..M-1, M = ceil(k/s). So every phase R is a stride-1
 * correlation of dy with an M-tap sub-filter, and all s*s phases together are ONE convolution
 * of dy (padded M-1 on top/left) with a filter `[M, M, Co, s*s*Ci]` built from the reversed
 * taps; its output `[N, P, Q, s*s*Ci]` is then laid out as `[N, P*s, Q*s, Ci]` and cropped by
 * the forward padding. For k == s (GQN's k2 s2, k4 s4) M = 1: a plain matrix product.
 */
export function conv2dBackpropInputVia(scope: KernelScope, args: ConvBackpropArgs): tf.TensorInfo {
  const { strides, pad, dimRoundingMode, channelsFirst, dy, inputs } = args;
  const { inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const filter = inputs.filter as tf.TensorInfo;
  const nhwcShape = (
    channelsFirst ? [inputShape[0], inputShape[2], inputShape[3], inputShape[1]] : inputShape
  ) as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    nhwcShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co, batchSize: n } = info;
  const { top, left } = info.padInfo;
  const [, ho, wo] = dy.shape as [number, number, number, number];
  const mh = Math.ceil(kh / sh);
  const mw = Math.ceil(kw / sw);
  // Rows P0 <= P < P1 of the phase grid cover the padded rows top .. top+h-1; computing only
  // those (not the rows the crop drops) saves (k-1)/h of the work at stride 1 ('same' k5 on
  // an 8x8 grid computed 10x10 outputs: 1.56x the work).
  const [p0h, p1h] = [Math.floor(top / sh), Math.ceil((top + h) / sh)];
  const [p0w, p1w] = [Math.floor(left / sw), Math.ceil((left + w) / sw)];
  const [ph, pw] = [p1h - p0h, p1w - p0w];

  // The filter as [mh, mw, Co, sh*sw*Ci], built in one JS pass over the wasm heap: the
  // equivalent kernel chain (pad, reshape, reverse, 6-d transpose) took seconds on a
  // [5,5,583,1024] filter; this takes ~0.1 s.
  const heap = heapBackend(scope.backend);
  if (!heap || filter.dtype !== "float32") {
    throw new Error("conv2dBackpropInputVia: needs tfjs-backend-wasm and a float32 filter.");
  }
  const tag = `phases ${sh} ${sw}`;
  const phaseFilter: ConvFilter = {
    shape: [mh, mw, co, sh * sw * ci],
    cacheKey: { source: filter.dataId, tag },
    // Cached while the weights live; not a temporary of the scope.
    materialize: () =>
      derivedTensorCache(heap).get(filter.dataId, tag, () => {
        const out = heap.makeOutput([mh, mw, co, sh * sw * ci], "float32");
        // Views after the allocation: a heap growth detaches earlier ones.
        writePhaseFilter(
          heap.typedArrayFromHeap(filter),
          [kh, kw, ci, co],
          [sh, sw],
          heap.typedArrayFromHeap(out),
        );
        return out;
      }),
  };

  // Phase row P reads dy rows P-mh+1 .. P: slice the dy rows that rows P0..P1-1 read, and
  // zero-pad where those fall outside dy.
  const [r0, c0] = [Math.max(0, p0h - mh + 1), Math.max(0, p0w - mw + 1)];
  if (Math.min(ho, p1h) <= r0 || Math.min(wo, p1w) <= c0) {
    // Padding so large that no gradient reaches x (explicit pads only).
    const zeros = scope.run("Fill", {}, { shape: nhwcShape, value: 0, dtype: "float32" });
    return scope.result(channelsFirst ? scope.transpose(zeros, [0, 3, 1, 2]) : zeros, []);
  }
  const dyUsed = scope.slice(dy, [0, r0, c0, 0], [n, Math.min(ho, p1h) - r0, Math.min(wo, p1w) - c0, co]);
  const phases = runConv(scope, dyUsed, phaseFilter, {
    strides: [1, 1],
    dilations: [1, 1],
    pads: [
      Math.max(0, mh - 1 - p0h),
      Math.max(0, p1h - ho),
      Math.max(0, mw - 1 - p0w),
      Math.max(0, p1w - wo),
    ],
  }); // [N, ph, pw, sh*sw*Ci], phase rows P0.. and columns P0w..
  const spread =
    sh === 1 && sw === 1
      ? phases
      : scope.reshape(scope.transpose(scope.reshape(phases, [n, ph, pw, sh, sw, ci]), [0, 1, 3, 2, 4, 5]), [
          n,
          ph * sh,
          pw * sw,
          ci,
        ]);
  let dx = scope.slice(spread, [0, top - p0h * sh, left - p0w * sw, 0], [n, h, w, ci]);
  if (channelsFirst) dx = scope.transpose(dx, [0, 3, 1, 2]);
  return scope.result(dx, [inputs.dy as tf.TensorInfo, filter]);
}

/**
 * `dst[t,u,co,(R,Rw,ci)] = src[sh*(mh-1-t)+R, sw*(mw-1-u)+Rw, ci, co]`, zero where that tap is
 * past the filter: the phase filter of {@link conv2dBackpropInputVia}, read sequentially.
 */
function writePhaseFilter(
  src: Float32Array,
  [kh, kw, ci, co]: readonly [number, number, number, number],
  [sh, sw]: readonly [number, number],
  dst: Float32Array,
): void {
  const mh = Math.ceil(kh / sh);
  const mw = Math.ceil(kw / sw);
  const phaseChannels = sh * sw * ci;
  if (mh * sh !== kh || mw * sw !== kw) dst.fill(0);
  let s = 0;
  for (let a = 0; a < kh; a++) {
    const t = mh - 1 - Math.floor(a / sh);
    const r = a % sh;
    for (let b = 0; b < kw; b++) {
      const u = mw - 1 - Math.floor(b / sw);
      const rw = b % sw;
      const rowBase = (t * mw + u) * co * phaseChannels + (r * sw + rw) * ci;
      for (let i = 0; i < ci; i++) {
        let d = rowBase + i;
        for (let c = 0; c < co; c++, d += phaseChannels) dst[d] = src[s++] as number;
      }
    }
  }
}
