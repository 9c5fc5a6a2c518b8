import { ProtoWriter } from "@gqn/core";
import type { ConvParams } from "../wasm-kernels/conv-engine.js";

/** What one cached ONNX convolution session computes. */
export interface ConvModelSpec extends ConvParams {
  /** Input, NHWC: `[N, H, W, Ci]`. */
  readonly xShape: readonly number[];
  /** Filter size, HWIO as tfjs has it: `[kh, kw, Ci, Co]` (the model's input is OIHW). */
  readonly filterShape: readonly number[];
  /** Whether the model takes a bias `[Co]` as a third input. */
  readonly bias?: boolean;
}

// ONNX enums and field numbers (onnx/onnx.proto3).
const FLOAT = 1;
const ATTR_INTS = 7;
const IR_VERSION = 8;
const OPSET = 13;

/**
 * The bytes of an ONNX model computing one convolution on tfjs-layout activations:
 * `y[N,Ho,Wo,Co] = conv(x[N,H,W,Ci], w[Co,Ci,kh,kw]) (+ b[Co])`.
 * ONNX `Conv` is NCHW, so the graph transposes the activations around it (cheap next to the
 * convolution). The filter comes already in ONNX's OIHW layout: transposing a large HWIO filter
 * inside the graph on every call cost ~40% of the run time, while the caller can transpose it
 * once and reuse it for all the calls that share the weights.
 */
export function buildConvModel(spec: ConvModelSpec): Uint8Array {
  const [n, h, w, ci] = spec.xShape as [number, number, number, number];
  const [kh, kw, , co] = spec.filterShape as [number, number, number, number];
  const [top, bottom, left, right] = spec.pads;
  const ho = Math.floor((h + top + bottom - (spec.dilations[0] * (kh - 1) + 1)) / spec.strides[0]) + 1;
  const wo = Math.floor((w + left + right - (spec.dilations[1] * (kw - 1) + 1)) / spec.strides[1]) + 1;

  const ints = (g: ProtoWriter, name: string, values: readonly number[]) =>
    g.message(5, (a) => a.string(1, name).varint(20, ATTR_INTS).packedVarints(8, values));
  const node = (
    g: ProtoWriter,
    op: string,
    inputs: string[],
    output: string,
    attrs: (n: ProtoWriter) => void,
  ) =>
    g.message(1, (nd) => {
      for (const i of inputs) nd.string(1, i);
      nd.string(2, output).string(3, output).string(4, op);
      attrs(nd);
    });
  const valueInfo = (g: ProtoWriter, field: number, name: string, shape: number[]) =>
    g.message(field, (v) =>
      v.string(1, name).message(2, (t) =>
        t.message(1, (tt) =>
          tt.varint(1, FLOAT).message(2, (s) => {
            for (const d of shape) s.message(1, (dim) => dim.varint(1, d));
          }),
        ),
      ),
    );

  return new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, "@gqn/backend")
    .message(7, (g) => {
      node(g, "Transpose", ["x"], "x_nchw", (nd) => ints(nd, "perm", [0, 3, 1, 2]));
      node(g, "Conv", spec.bias ? ["x_nchw", "w", "b"] : ["x_nchw", "w"], "y_nchw", (nd) => {
        ints(nd, "kernel_shape", [kh, kw]);
        ints(nd, "strides", spec.strides);
        ints(nd, "dilations", spec.dilations);
        ints(nd, "pads", [top, left, bottom, right]);
      });
      node(g, "Transpose", ["y_nchw"], "y", (nd) => ints(nd, "perm", [0, 2, 3, 1]));
      g.string(2, "conv");
      valueInfo(g, 11, "x", [n, h, w, ci]);
      valueInfo(g, 11, "w", [co, ci, kh, kw]);
      if (spec.bias) valueInfo(g, 11, "b", [co]);
      valueInfo(g, 12, "y", [n, ho, wo, co]);
    })
    .message(8, (o) => o.string(1, "").varint(2, OPSET))
    .finish();
}
