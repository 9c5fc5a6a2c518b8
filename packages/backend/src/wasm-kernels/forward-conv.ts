import * as tf from "@tensorflow/tfjs-core";
import { getConvAccelerator, tensorFilter } from "./conv-engine.js";
import { KernelScope } from "./kernel-scope.js";

/** Activations of `FusedConv2D` that the accelerated path applies with the backend's own kernels. */
const ACTIVATION_KERNELS: Record<string, string | undefined> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
};

/**
 * Wraps tfjs-backend-wasm's `Conv2D` / `FusedConv2D` (`fused`) so that
 *
 * - `'same'` padding reaches XNNPACK as explicit pads. The stock kernels pass XNNPACK its
 *   TensorFlow-SAME flag, which gives wrong results (zeros, or shifted windows) when the stride
 *   exceeds the kernel size, e.g. k3 s4 on 12x12 or k2 s3; explicit pads computed by tfjs (what
 *   the cpu backend uses) are exact;
 * - when a convolution accelerator is installed (onnxruntime), the convolution runs there, with
 *   the bias inside the ONNX `Conv` and the activation on the backend.
 */
export function forwardConvKernel(stock: tf.KernelFunc, backendName: string, fused: boolean): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.FusedConv2DAttrs;
    const x = args.inputs.x as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC");
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      dataFormat,
    );
    const { top, bottom, left, right } = info.padInfo;
    const accelerator = getConvAccelerator();
    const activation = fused ? (attrs.activation ?? "linear") : "linear";
    const activationKernel = ACTIVATION_KERNELS[activation];
    if (
      accelerator &&
      dataFormat === "channelsLast" &&
      (activation === "linear" || activationKernel) &&
      top >= 0 &&
      left >= 0
    ) {
      const scope = new KernelScope(args.backend as tf.KernelBackend, backendName);
      try {
        const y = accelerator(
          scope,
          x,
          tensorFilter(filter),
          {
            strides: [info.strideHeight, info.strideWidth],
            dilations: [info.dilationHeight, info.dilationWidth],
            pads: [top, bottom, left, right],
          },
          fused ? (args.inputs.bias as tf.TensorInfo | undefined) : undefined,
        );
        if (y) return scope.result(activationKernel ? scope.run(activationKernel, { x: y }) : y, [x, filter]);
      } finally {
        scope.dispose();
      }
    }
    if (info.padInfo.type !== "SAME") return stock(args);
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    return stock({ ...args, attrs: { ...args.attrs, pad } as unknown as tf.NamedAttrMap });
  };
}
