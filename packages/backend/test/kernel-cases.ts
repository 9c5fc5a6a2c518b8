// Seeded random cases for the kernel tests: chains of copy ops (concat, slice, split, clone,
// reshape, tile, same-dtype cast), scripted disposal orders, convolutions with their gradients,
// and the fused ConvLSTM cell against the plain ops. Each case is
// a label (printed on failure) and a function that runs identically on any backend.
import { FUSED_KERNELS, type Random } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

export type CopyDtype = "float32" | "int32" | "bool";

export interface KernelCase {
  readonly label: string;
  /** Largest error allowed, relative to the largest expected magnitude (0: bit-exact). */
  readonly tolerance: number;
  readonly run: () => tf.Tensor[];
}

/** Deterministic values of any dtype, the same on every backend (tfjs draws them in JS). */
export function source(shape: number[], dtype: CopyDtype, seed: number): tf.Tensor {
  if (dtype === "int32") return tf.randomUniform(shape, -1000, 1000, "int32", seed);
  if (dtype === "float32") return tf.randomUniform(shape, -1, 1, "float32", seed);
  return tf.tidy(() => tf.greater(tf.randomUniform(shape, -1, 1, "float32", seed), 0));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const show = (shape: readonly number[]) => `[${shape.join(",")}]`;
const pick = <T>(random: Random, items: readonly T[]): T => items[random.int(items.length)] as T;

/** Splits `total` into `parts` positive sizes. */
function partition(random: Random, total: number, parts: number): number[] {
  const cuts = random.shuffle(Array.from({ length: total - 1 }, (_, i) => i + 1)).slice(0, parts - 1);
  const bounds = [0, ...cuts.sort((a, b) => a - b), total];
  return bounds.slice(1).map((b, i) => b - (bounds[i] as number));
}

/** One op of a copy chain: its output shape and how to apply it. */
interface CopyStep {
  readonly label: string;
  readonly shape: number[];
  readonly tile: boolean;
  apply(t: tf.Tensor): tf.Tensor;
}

const MAX_ELEMENTS = 3000;

function splitStep(random: Random, shape: number[]): CopyStep | undefined {
  const axes = shape.flatMap((d, a) => (d >= 2 ? [a] : []));
  if (axes.length === 0) return undefined;
  const axis = pick(random, axes);
  const sizes = partition(
    random,
    shape[axis] as number,
    random.intBetween(2, Math.min(4, shape[axis] as number)),
  );
  const index = random.int(sizes.length);
  const out = [...shape];
  out[axis] = sizes[index] as number;
  return {
    label: `split(axis ${axis}, [${sizes}])[${index}]`,
    shape: out,
    tile: false,
    apply: (t) => tf.split(t, sizes, axis)[index] as tf.Tensor,
  };
}

function randomBox(random: Random, shape: number[]): { begin: number[]; size: number[]; out: number[] } {
  const begin = shape.map((d) => random.int(d));
  const size = shape.map((d, a) =>
    random.next() < 0.2 ? -1 : random.intBetween(1, d - (begin[a] as number)),
  );
  const out = size.map((s, a) => (s === -1 ? (shape[a] as number) - (begin[a] as number) : s));
  return { begin, size, out };
}

function sliceStep(random: Random, shape: number[]): CopyStep {
  const { begin, size, out } = randomBox(random, shape);
  return {
    label: `slice(${show(begin)}, ${show(size)})`,
    shape: out,
    tile: false,
    apply: (t) => tf.slice(t, begin, size),
  };
}

/** Some operands of a concat along `axis`, each built from `t` (shape `shape`) or fresh values. */
type Operand = { label: string; extent: number; make: (t: tf.Tensor) => tf.Tensor };

function operand(random: Random, shape: number[], axis: number, dtype: CopyDtype, depth: number): Operand {
  const extent = shape[axis] as number;
  const kind = random.int(depth > 0 ? 4 : 3);
  if (kind === 0 || extent === 0) return { label: "t", extent, make: (t) => t };
  if (kind === 1) {
    const begin = random.int(extent);
    const length = random.intBetween(0, extent - begin);
    const b = shape.map((_, a) => (a === axis ? begin : 0));
    const s = shape.map((d, a) => (a === axis ? length : d));
    return { label: `slice(t, ${show(b)}, ${show(s)})`, extent: length, make: (t) => tf.slice(t, b, s) };
  }
  if (kind === 2) {
    const fresh = [...shape];
    fresh[axis] = random.intBetween(0, 3); // 0: an empty part
    const seed = random.fork();
    return {
      label: `fresh${show(fresh)}`,
      extent: fresh[axis] as number,
      make: () => source(fresh, dtype, seed),
    };
  }
  // A concat inside the concat, along this axis or another one.
  const inner = random.int(shape.length);
  if (inner === axis) {
    const parts = [
      operand(random, shape, axis, dtype, depth - 1),
      operand(random, shape, axis, dtype, depth - 1),
    ];
    return {
      label: `concat(${parts.map((p) => p.label).join(", ")}; axis ${axis})`,
      extent: parts[0]!.extent + parts[1]!.extent,
      make: (t) => tf.concat([parts[0]!.make(t), parts[1]!.make(t)], axis),
    };
  }
  // t cut in two along `inner` and put back together: shape unchanged, values of t.
  const cut = random.int((shape[inner] as number) + 1);
  return {
    label: `concat(t cut at ${cut}; axis ${inner})`,
    extent,
    make: (t) => {
      const [a, b] = tf.split(t, [cut, (shape[inner] as number) - cut], inner) as [tf.Tensor, tf.Tensor];
      return tf.concat([a, b], inner);
    },
  };
}

function concatStep(random: Random, shape: number[], dtype: CopyDtype): CopyStep | undefined {
  const axis = random.int(shape.length);
  const operands = [{ label: "t", extent: shape[axis] as number, make: (t: tf.Tensor) => t }];
  const more = random.intBetween(1, 3);
  for (let i = 0; i < more; i++) operands.push(operand(random, shape, axis, dtype, 2));
  random.shuffle(operands);
  const out = [...shape];
  out[axis] = operands.reduce((sum, o) => sum + o.extent, 0);
  if (size(out) > MAX_ELEMENTS) return undefined;
  return {
    label: `concat(${operands.map((o) => o.label).join(", ")}; axis ${axis})`,
    shape: out,
    tile: false,
    apply: (t) =>
      tf.concat(
        operands.map((o) => o.make(t)),
        axis,
      ),
  };
}

function reshapeStep(random: Random, shape: number[]): CopyStep | undefined {
  if (shape.length >= 2 && (shape.length === 5 || random.next() < 0.5)) {
    const a = random.int(shape.length - 1);
    const out = [
      ...shape.slice(0, a),
      (shape[a] as number) * (shape[a + 1] as number),
      ...shape.slice(a + 2),
    ];
    return { label: `reshape${show(out)}`, shape: out, tile: false, apply: (t) => tf.reshape(t, out) };
  }
  if (shape.length === 5) return undefined;
  const a = random.int(shape.length);
  const d = shape[a] as number;
  const factor = [2, 3].find((f) => d % f === 0) ?? 1;
  const out = [...shape.slice(0, a), factor, d / factor, ...shape.slice(a + 1)];
  return { label: `reshape${show(out)}`, shape: out, tile: false, apply: (t) => tf.reshape(t, out) };
}

function tileStep(random: Random, shape: number[]): CopyStep | undefined {
  const reps = shape.map(() => random.intBetween(1, 3));
  const out = shape.map((d, a) => d * (reps[a] as number));
  if (size(out) > MAX_ELEMENTS) return undefined;
  return { label: `tile(${show(reps)})`, shape: out, tile: true, apply: (t) => tf.tile(t, reps) };
}

function cloneStep(shape: number[]): CopyStep {
  return { label: "clone", shape, tile: false, apply: (t) => tf.clone(t) };
}

/** A cast to the tensor's own dtype: wasm shares the memory (like Identity) instead of copying. */
function castStep(shape: number[]): CopyStep {
  return { label: "cast(same)", shape, tile: false, apply: (t) => tf.cast(t, t.dtype) };
}

/**
 * A chain of 2-6 copy ops on one random tensor. Returns every intermediate result (a later
 * kernel must not overwrite an earlier output) and, for float32, the gradient of a weighted sum
 * of all of them with respect to the input.
 */
export function copyChainCase(random: Random): KernelCase {
  const dtype = pick(random, ["float32", "float32", "int32", "bool"] as const);
  const rank = random.intBetween(1, 5);
  const input = Array.from({ length: rank }, () => random.intBetween(1, rank > 3 ? 4 : 7));
  const inputSeed = random.fork();
  const steps: CopyStep[] = [];
  let shape = input;
  const length = random.intBetween(2, 6);
  while (steps.length < length) {
    const kind = random.int(8);
    const step =
      kind === 0 || kind === 1
        ? concatStep(random, shape, dtype)
        : kind === 2
          ? splitStep(random, shape)
          : kind === 3
            ? sliceStep(random, shape)
            : kind === 4
              ? cloneStep(shape)
              : kind === 5
                ? reshapeStep(random, shape)
                : kind === 6
                  ? tileStep(random, shape)
                  : castStep(shape);
    if (!step) continue;
    steps.push(step);
    shape = step.shape;
  }
  const weightSeeds = steps.map(() => random.fork());
  const forward = (x: tf.Tensor) => {
    const outs: tf.Tensor[] = [];
    let t = x;
    for (const step of steps) {
      t = step.apply(t);
      outs.push(t);
    }
    return outs;
  };
  return {
    label: `${dtype} ${show(input)} -> ${steps.map((s) => s.label).join(" -> ")}`,
    // Copies are exact; the tile gradient sums, in an order that may differ between backends
    // (relative to the largest result, which cancellation can make small: a wrong element is off by O(1)).
    tolerance: steps.some((s) => s.tile) ? 2e-5 : 0,
    run: () => {
      const x = source(input, dtype, inputSeed);
      const outs = forward(x);
      if (dtype !== "float32") return outs;
      const weights = steps.map((s, i) => source(s.shape, "float32", weightSeeds[i] as number));
      const grad = tf.grad((a: tf.Tensor) =>
        tf.addN(forward(a).map((t, i) => tf.sum(tf.mul(t, weights[i] as tf.Tensor)))),
      )(x);
      return [...outs, grad];
    },
  };
}

/** A scripted lifetime: tensors made from one input, then disposed one by one in `order`. */
export interface DisposalScript {
  readonly label: string;
  /** After each disposal: the values of every tensor still alive, in creation order. */
  run(): number[][][];
}

const DISPOSAL_NAMES = [
  "x",
  "clone",
  "slice",
  "split0",
  "split1",
  "concat",
  "concatOfConcat",
  "sliceOfSplit",
  "cloneOfSlice",
  "reshape",
];

/**
 * Results that may share memory with their input (clone, reshape) or were copied from it
 * (slice, split, concat, concat of concat), used twice and disposed in a random order. After
 * each disposal a tensor of the freed size is filled with a sentinel, so that memory freed too
 * early (a wrong reference count) shows up as changed values in the survivors.
 */
export function disposalScript(random: Random): DisposalScript {
  const dtype = pick(random, ["float32", "int32", "bool"] as const);
  const rank = random.intBetween(1, 4);
  const shape = Array.from({ length: rank }, () => random.intBetween(2, 6));
  const axis = random.int(rank);
  const seed = random.fork();
  const box = randomBox(random, shape);
  const sizes = partition(random, shape[axis] as number, 2);
  // In the order of DISPOSAL_NAMES.
  const make = (): tf.Tensor[] => {
    const x = source(shape, dtype, seed);
    const clone = tf.clone(x);
    const slice = tf.slice(x, box.begin, box.size);
    const [first, second] = tf.split(clone, sizes, axis) as [tf.Tensor, tf.Tensor];
    const concat = tf.concat([clone, x, clone], axis);
    const inner = tf.concat([second, first], axis);
    const concatOfConcat = tf.concat([concat, inner], axis);
    inner.dispose();
    const sliceOfSplit = tf.slice(
      first,
      first.shape.map(() => 0),
      first.shape.map((d) => Math.max(1, d - 1)),
    );
    return [
      x,
      clone,
      slice,
      first,
      second,
      concat,
      concatOfConcat,
      sliceOfSplit,
      tf.clone(slice),
      tf.reshape(clone, [-1]),
    ];
  };
  const order = random.permutation(DISPOSAL_NAMES.length);
  return {
    label: `${dtype} ${show(shape)}, split axis ${axis} [${sizes}], slice ${show(box.begin)} ${show(box.size)}; dispose ${order.map((i) => DISPOSAL_NAMES[i]).join(", ")}`,
    run: () => {
      const live = make();
      const scribbles: tf.Tensor[] = [];
      const snapshots: number[][][] = [];
      for (const index of order) {
        const t = live[index] as tf.Tensor;
        const bytes = t.size * (t.dtype === "bool" ? 1 : 4);
        t.dispose();
        scribbles.push(tf.fill([Math.ceil(bytes / 4)], -7777.25));
        snapshots.push(live.filter((u) => !u.isDisposed).map((u) => Array.from(u.dataSync())));
      }
      tf.dispose(scribbles);
      return snapshots;
    },
  };
}

export type ConvMode = "conv2d" | "fused" | "transpose" | "nchw" | "dilated" | "filter reuse";

/**
 * A random 2-d convolution (batch 1-3, kernel 1-5, strides 1-4, 'valid', 'same' or explicit
 * padding) run one way: forward with both gradients (`Conv2D`, `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter`), fused with bias and activation, as `conv2dTranspose` with its
 * gradients, both backprop kernels directly in NCHW, dilated forward, or a transposed conv whose
 * filter is reused, disposed and replaced (the input gradient caches a derived filter).
 */
export function convCase(random: Random, mode: ConvMode): KernelCase {
  const dilation = mode === "dilated" ? 2 : 1;
  const strides: [number, number] =
    mode === "dilated" ? [1, 1] : [random.intBetween(1, 4), random.intBetween(1, 4)];
  const k: [number, number] = [random.intBetween(1, 5), random.intBetween(1, 5)];
  const padKind = pick(random, ["valid", "same", "explicit"] as const);
  const pads = [random.int(4), random.int(4), random.int(4), random.int(4)];
  const pad =
    padKind === "explicit"
      ? ([
          [0, 0],
          [pads[0], pads[1]],
          [pads[2], pads[3]],
          [0, 0],
        ] as tf.backend_util.ExplicitPadding)
      : padKind;
  const reach = (a: 0 | 1) => (k[a] - 1) * dilation + 1;
  const extra = padKind === "explicit" ? [pads[0]! + pads[1]!, pads[2]! + pads[3]!] : [0, 0];
  const x: [number, number, number, number] = [
    random.intBetween(1, 3),
    Math.max(1, reach(0) - extra[0]!) + random.int(9),
    Math.max(1, reach(1) - extra[1]!) + random.int(9),
    random.intBetween(1, 5),
  ];
  const co = random.intBetween(1, 5);
  const filterShape: [number, number, number, number] = [k[0], k[1], x[3], co];
  const activation = pick(random, ["linear", "relu"] as const);
  const seeds = Array.from({ length: 6 }, () => random.fork());
  const seed = (i: number) => seeds[i] as number;
  const label = `${mode}${mode === "fused" ? ` ${activation}` : ""}: x ${show(x)} k ${show(k)} -> ${co}, strides ${show(strides)}, pad ${JSON.stringify(pad)}`;
  const outShape = () => {
    const y = tf.conv2d(
      tf.zeros(x) as tf.Tensor4D,
      tf.zeros(filterShape) as tf.Tensor4D,
      strides,
      pad,
      "NHWC",
      dilation,
    );
    return y.shape;
  };
  const weighted = (f: (...args: tf.Tensor[]) => tf.Tensor, args: tf.Tensor[], weightSeed: number) => {
    const y = f(...args);
    const w = source(y.shape, "float32", weightSeed);
    return [y, ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(args)];
  };
  const run = (): tf.Tensor[] => {
    const input = source(x, "float32", seed(0));
    const filter = source(filterShape, "float32", seed(1));
    if (mode === "conv2d") {
      return weighted(
        (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad),
        [input, filter],
        seed(2),
      );
    }
    if (mode === "dilated")
      return [tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, 1, pad, "NHWC", dilation)];
    if (mode === "fused") {
      const bias = source([co], "float32", seed(3));
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides, pad, bias: c, activation });
      return weighted(f, [input, filter, bias], seed(2));
    }
    const dy = source(outShape(), "float32", seed(4));
    const transpose = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, x, strides, pad);
    if (mode === "transpose") return weighted(transpose, [dy, filter], seed(2));
    if (mode === "filter reuse") {
      const first = transpose(dy, filter);
      const again = transpose(tf.neg(dy), filter);
      filter.dispose();
      const replaced = source(filterShape, "float32", seed(5));
      return [first, again, transpose(dy, replaced)];
    }
    // NCHW through the kernels themselves (no op exposes it for the backprop kernels); tfjs
    // reads explicit NCHW padding from axes 2 and 3.
    const nchwPad = Array.isArray(pad) ? [[0, 0], [0, 0], pad[1], pad[2]] : pad;
    const attrs = { strides, pad: nchwPad, dataFormat: "NCHW", dimRoundingMode: undefined };
    const toNchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);
    const nchwShape = [x[0], x[3], x[1], x[2]];
    const engine = tf.engine();
    return [
      engine.runKernel("Conv2DBackpropInput", { dy: toNchw(dy), filter }, {
        ...attrs,
        inputShape: nchwShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
      engine.runKernel("Conv2DBackpropFilter", { x: toNchw(input), dy: toNchw(dy) }, {
        ...attrs,
        filterShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ];
  };
  return { label, tolerance: 2e-5, run };
}

/** The ConvLSTM update in plain tfjs ops, as @gqn/draw writes it without the fused kernels. */
export function unfusedLstmCell(gates: tf.Tensor, c: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [i, j, f, o] = tf.split(gates, 4, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const cNext = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), c), tf.mul(tf.sigmoid(i), tf.tanh(j)));
  return [tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext];
}

/**
 * A fused ConvLSTM cell on random `[.., 4C]` gates and `[.., C]` state (rank 2-4, values reaching
 * the flat parts of sigmoid and tanh): `fused` runs the GqnLstmCell kernel and its gradient kernel,
 * `unfused` the plain ops and tfjs's gradients; both return h', c', d gates, d c.
 */
export function lstmCellCase(random: Random): {
  label: string;
  fused: () => tf.Tensor[];
  unfused: () => tf.Tensor[];
} {
  const rank = random.intBetween(2, 4);
  const lead = Array.from({ length: rank - 1 }, () => random.intBetween(1, 5));
  const channels = random.intBetween(1, 9);
  const seeds = [random.fork(), random.fork(), random.fork(), random.fork()];
  const inputs = () => {
    const at = (shape: number[], k: number, scale: number) =>
      tf.mul(tf.sub(source(shape, "float32", seeds[k] as number), 0.5), scale);
    return {
      gates: at([...lead, 4 * channels], 0, 8),
      c: at([...lead, channels], 1, 4),
      dh: at([...lead, channels], 2, 2),
      dc: at([...lead, channels], 3, 2),
    };
  };
  return {
    label: `gates ${show([...lead, 4 * channels])}`,
    fused: () => {
      const { gates, c, dh, dc } = inputs();
      const [hc, activations, tanhC] = tf
        .engine()
        .runKernel(FUSED_KERNELS.lstmCell, { gates, c }, { forgetBias: 1 }) as tf.Tensor[];
      const [h, cNext] = tf.split(hc as tf.Tensor, 2, -1) as [tf.Tensor, tf.Tensor];
      const grads = tf.engine().runKernel(FUSED_KERNELS.lstmCellGrad, {
        dhc: tf.concat([dh, dc], -1),
        c,
        activations: activations as tf.Tensor,
        tanhC: tanhC as tf.Tensor,
      }) as tf.Tensor[];
      return [h, cNext, ...grads];
    },
    unfused: () => {
      const { gates, c, dh, dc } = inputs();
      const [h, cNext] = unfusedLstmCell(gates, c);
      const grads = tf.grads((g: tf.Tensor, cc: tf.Tensor) => {
        const [h2, c2] = unfusedLstmCell(g, cc);
        return tf.add(tf.sum(tf.mul(h2, dh)), tf.sum(tf.mul(c2, dc)));
      })([gates, c]);
      return [h, cNext, ...grads];
    },
  };
}
