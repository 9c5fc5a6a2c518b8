import * as tf from "@tensorflow/tfjs-core";
import { heapBackend } from "./heap-access.js";

// tfjs-backend-wasm's Slice (and SplitV, made of Slices) first copies the WHOLE input out of the
// wasm heap (`readSync`), then copies each innermost row with `subarray` + `set`; Concat also
// copies row by row with `set`. On a training step's channel splits and concats (ConvLSTM gates,
// [B,32,32,3] + [B,32,32,64] concats and their gradients) that is ~8% of a step. These read and
// write the heap in place, and copy short runs with a plain loop (a `set` call costs more than
// copying a few floats).

/** Dtypes stored as one typed array in the wasm heap (strings are not). */
const HEAP_DTYPES = new Set(["float32", "int32", "bool"]);

/** Below this many elements a loop beats `subarray` + `set`. */
const SHORT_RUN = 48;

type Heap = NonNullable<ReturnType<typeof heapBackend>>;
type View = Float32Array | Int32Array | Uint8Array;

function view(heap: Heap, info: tf.TensorInfo): View {
  return (heap as unknown as { typedArrayFromHeap(i: tf.TensorInfo): View }).typedArrayFromHeap(info);
}

function copyRun(src: View, from: number, dst: View, to: number, length: number): void {
  if (length >= SHORT_RUN) {
    dst.set(src.subarray(from, from + length), to);
  } else {
    for (let i = 0; i < length; i++) dst[to + i] = src[from + i] as number;
  }
}

/**
 * Copies the box `begin .. begin+size` of `src` (shape `shape`) into `dst`, densely: runs of the
 * innermost axes the box covers whole are copied as one.
 */
function copyBox(
  src: View,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: View,
): void {
  const rank = shape.length;
  if (size.some((d) => d === 0)) return;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = stride;
    stride *= shape[a] as number;
  }
  // Innermost axis `inner` whose trailing axes are whole: one contiguous run per outer index.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--;
  const run = (size[inner] as number) * (strides[inner] as number);
  const index = new Array<number>(inner).fill(0);
  let base = 0;
  for (let a = 0; a <= inner; a++) base += (begin[a] as number) * (strides[a] as number);
  let out = 0;
  for (;;) {
    let offset = base;
    for (let a = 0; a < inner; a++) offset += (index[a] as number) * (strides[a] as number);
    copyRun(src, offset, dst, out, run);
    out += run;
    let a = inner - 1;
    while (a >= 0) {
      index[a] = (index[a] as number) + 1;
      if ((index[a] as number) < (size[a] as number)) break;
      index[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

/** `Slice` for wasm, in place on the heap; defers to `stock` for strings. */
export function sliceKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const heap = heapBackend(args.backend as tf.KernelBackend);
    if (!heap || !HEAP_DTYPES.has(x.dtype)) return stock(args);
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [
      number[],
      number[],
    ];
    const out = heap.makeOutput(size_, x.dtype as "float32");
    copyBox(view(heap, x), x.shape, begin_, size_, view(heap, out));
    return out;
  };
}

/** `SplitV` for wasm: one in-place box copy per part. */
export function splitVKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const heap = heapBackend(args.backend as tf.KernelBackend);
    if (!heap || !HEAP_DTYPES.has(x.dtype)) return stock(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((part) => {
      const size = [...x.shape];
      size[$axis] = part;
      const out = heap.makeOutput(size, x.dtype as "float32");
      copyBox(view(heap, x), x.shape, begin, size, view(heap, out));
      begin[$axis] = (begin[$axis] as number) + part;
      return out;
    });
  };
}

/** `Concat` for wasm: interleaves the inputs' runs with loops for short runs. */
export function concatKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const heap = heapBackend(args.backend as tf.KernelBackend);
    const first = inputs[0];
    if (!heap || !first || !HEAP_DTYPES.has(first.dtype) || inputs.some((t) => t.dtype !== first.dtype)) {
      return stock(args);
    }
    const axis = tf.util.parseAxisParam(
      (args.attrs as unknown as tf.ConcatAttrs).axis,
      first.shape,
    )[0] as number;
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (parts.length < 2) return stock(args); // identity or empty: the stock kernel's cases
    tf.backend_util.assertParamsConsistent(
      inputs.map((t) => t.shape),
      axis,
    );
    const outShape = tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      axis,
    );
    const out = heap.makeOutput(outShape, first.dtype as "float32");
    // Views after the allocation: a heap growth detaches earlier ones.
    const dst = view(heap, out);
    const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const widths = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const total = widths.reduce((a, b) => a + b, 0);
    let column = 0;
    parts.forEach((part, i) => {
      const src = view(heap, part);
      const width = widths[i] as number;
      for (let r = 0; r < rows; r++) copyRun(src, r * width, dst, r * total + column, width);
      column += width;
    });
    return out;
  };
}

/**
 * `Identity` for wasm without a copy: the output shares the input's memory (reference counted),
 * as on the cpu backend. tfjs clones every tensor it saves for a gradient through `Identity`, so
 * the stock kernel copied each weight tensor at each use under `tf.variableGrads`: in a DRAW step
 * with L = 8, every ConvLSTM kernel eight times (2 GB for tf-gqn's 46 M parameters at batch 1,
 * past the 4 GB wasm heap after a few steps of the backward pass). No wasm kernel writes into
 * its inputs, so sharing is safe.
 */
export function identityKernel(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const backend = args.backend as tf.KernelBackend & { incRef?: (dataId: object) => void };
    if (x.dtype === "string" || typeof backend.incRef !== "function") return stock(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * `Cast` for wasm that shares memory (like {@link identityKernel}) when the dtype does not change:
 * tfjs's gradients of `square`, `log`, `div` and others cast their float32 inputs to float32,
 * and the stock kernel copied each of them (14 copies per tiny GQN step, ~0.4 ms each).
 */
export function castKernel(stock: tf.KernelFunc): tf.KernelFunc {
  const share = identityKernel(stock);
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return (args.attrs as { dtype?: string } | undefined)?.dtype === x.dtype ? share(args) : stock(args);
  };
}
