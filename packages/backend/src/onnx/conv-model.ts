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

/** What one cached ONNX matrix-product session computes: `y = op(a) b (+ c)`. */
export interface GemmModelSpec {
  /** `a` is `[m, k]`, or `[k, m]` with `transA` (its transpose is used). */
  readonly m: number;
  readonly k: number;
  /** `b` is `[k, n]`; `y` is `[m, n]`. */
  readonly n: number;
  readonly transA?: boolean;
  /** Whether the model takes `c [n]`, added to every row. */
  readonly bias?: boolean;
}

// ONNX enums and field numbers (onnx/onnx.proto3).
const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;
const IR_VERSION = 8;
const OPSET = 13;

type Attribute = number | readonly number[];
interface GraphNode {
  op: string;
  inputs: readonly string[];
  output: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

/** The bytes of a float32 ONNX model: nodes in order, inputs and outputs with static shapes. */
function onnxModel(
  nodes: readonly GraphNode[],
  inputs: ReadonlyArray<[string, readonly number[]]>,
  outputs: ReadonlyArray<[string, readonly number[]]>,
): Uint8Array {
  const valueInfo = (g: ProtoWriter, field: number, name: string, shape: readonly number[]) =>
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
      for (const { op, inputs: nodeInputs, output, attributes = {} } of nodes) {
        g.message(1, (nd) => {
          for (const i of nodeInputs) nd.string(1, i);
          nd.string(2, output).string(3, output).string(4, op);
          for (const [name, value] of Object.entries(attributes)) {
            nd.message(5, (a) =>
              typeof value === "number"
                ? a.string(1, name).varint(20, ATTR_INT).varint(3, value)
                : a.string(1, name).varint(20, ATTR_INTS).packedVarints(8, value),
            );
          }
        });
      }
      g.string(2, "conv");
      for (const [name, shape] of inputs) valueInfo(g, 11, name, shape);
      for (const [name, shape] of outputs) valueInfo(g, 12, name, shape);
    })
    .message(8, (o) => o.string(1, "").varint(2, OPSET))
    .finish();
}

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
  return onnxModel(
    [
      { op: "Transpose", inputs: ["x"], output: "x_nchw", attributes: { perm: [0, 3, 1, 2] } },
      {
        op: "Conv",
        inputs: spec.bias ? ["x_nchw", "w", "b"] : ["x_nchw", "w"],
        output: "y_nchw",
        attributes: {
          kernel_shape: [kh, kw],
          strides: spec.strides,
          dilations: spec.dilations,
          pads: [top, left, bottom, right],
        },
      },
      { op: "Transpose", inputs: ["y_nchw"], output: "y", attributes: { perm: [0, 2, 3, 1] } },
    ],
    [
      ["x", [n, h, w, ci]],
      ["w", [co, ci, kh, kw]],
      ...(spec.bias ? [["b", [co]] as [string, number[]]] : []),
    ],
    [["y", [n, ho, wo, co]]],
  );
}

/**
 * The bytes of an ONNX model computing one matrix product, `y[m,n] = a[m,k] b[k,n] (+ c[n])` or,
 * with `transA`, `a[k,m]ᵀ b[k,n]`: the convolutions of the im2col path (forward and input gradient
 * `patches x filter`, filter gradient `patchesᵀ x dy`), whose operands are all in tfjs' layouts
 * already, so the graph has no transposes.
 */
export function buildGemmModel({ m, k, n, transA = false, bias = false }: GemmModelSpec): Uint8Array {
  return onnxModel(
    [
      {
        op: "Gemm",
        inputs: bias ? ["a", "b", "c"] : ["a", "b"],
        output: "y",
        attributes: transA ? { transA: 1 } : {},
      },
    ],
    [["a", transA ? [k, m] : [m, k]], ["b", [k, n]], ...(bias ? [["c", [n]] as [string, number[]]] : [])],
    [["y", [m, n]]],
  );
}
