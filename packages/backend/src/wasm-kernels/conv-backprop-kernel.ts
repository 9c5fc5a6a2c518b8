import type * as tf from "@tensorflow/tfjs-core";
import { nhwcPad } from "./data-format.js";
import { KernelScope } from "./kernel-scope.js";

/** What both conv backprops read of their attributes and inputs, in the NHWC layout their conv helpers take. */
export interface ConvBackpropArgs {
  strides: tf.Conv2DBackpropInputAttrs["strides"];
  /** Padding for the NHWC convolution (see {@link nhwcPad}). */
  pad: tf.Conv2DBackpropInputAttrs["pad"];
  dimRoundingMode: tf.Conv2DBackpropInputAttrs["dimRoundingMode"];
  /** The kernel got NCHW tensors (`dataFormat: "NCHW"`). */
  channelsFirst: boolean;
  /** The gradient of the forward output, NHWC. */
  dy: tf.TensorInfo;
  /** The kernel's inputs and attributes as tfjs passed them (`dy` and `pad` as the caller gave them). */
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
}

/**
 * `Conv2DBackpropFilter` or `Conv2DBackpropInput` as a tfjs kernel function: reads the attributes
 * both share, turns NCHW inputs into NHWC once, and runs `body` in a scope freed however it ends.
 */
export function convBackpropKernel(
  backendName: string,
  body: (scope: KernelScope, args: ConvBackpropArgs) => tf.TensorInfo,
): tf.KernelFunc {
  return ({ backend, inputs, attrs = {} }) => {
    const scope = new KernelScope(backend as tf.KernelBackend, backendName);
    try {
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const channelsFirst = dataFormat === "NCHW";
      const dy = toNhwc(scope, inputs.dy as tf.TensorInfo, channelsFirst);
      return body(scope, {
        strides,
        pad: nhwcPad(pad, channelsFirst),
        dimRoundingMode,
        channelsFirst,
        dy,
        inputs,
        attrs,
      });
    } finally {
      scope.dispose();
    }
  };
}

/** `x` as NHWC: transposed (a temporary of `scope`) when the kernel got NCHW. */
export function toNhwc(scope: KernelScope, x: tf.TensorInfo, channelsFirst: boolean): tf.TensorInfo {
  return channelsFirst ? scope.transpose(x, [0, 2, 3, 1]) : x;
}
