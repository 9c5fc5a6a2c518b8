import * as tf from "@tensorflow/tfjs-core";

/**
 * Wraps tfjs-backend-wasm's `Conv2D` / `FusedConv2D` so that `'same'` padding reaches XNNPACK
 * as explicit pads. The stock kernels pass XNNPACK its TensorFlow-SAME flag, which gives wrong
 * results (zeros, or shifted windows) when the stride exceeds the kernel size, e.g. k3 s4 on
 * 12x12 or k2 s3 'same'; explicit pads computed by tfjs (as the cpu backend uses) are exact.
 */
export function withExplicitPadding(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DAttrs;
    if (attrs.pad !== "same") return stock(args);
    const x = args.inputs.x as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      "same",
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC"),
    );
    const { top, bottom, left, right } = info.padInfo;
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    return stock({ ...args, attrs: { ...args.attrs, pad } as unknown as tf.NamedAttrMap });
  };
}
