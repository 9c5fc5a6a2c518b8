// Every kernel @gqn/backend registers or replaces for wasm (Concat, Slice, SplitV, Identity, Cast,
// Conv2D, FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput / conv2dTranspose, the fused
// ConvLSTM cell and its gradient) and the tile gradient, against the tfjs cpu backend, over seeded random shapes, dtypes and chains of ops.
// A failure names the seed and the case; GQN_KERNEL_SEED=<seed> replays it, GQN_KERNEL_CASES
// scales the number of cases.
import "@tensorflow/tfjs-backend-cpu";
import { Random } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ConvMode,
  convCase,
  copyChainCase,
  disposalScript,
  type KernelCase,
  lstmCellCase,
  source,
} from "../../test/kernel-cases.js";
import { initBackend } from "../backend-selection.js";
import { derivedTensorCache, heapBackend } from "./heap-access.js";

const SEED = Number(process.env.GQN_KERNEL_SEED ?? 20261125);
const SCALE = Number(process.env.GQN_KERNEL_CASES ?? 1);

/** The cases of one family: its own generator, so adding cases elsewhere changes nothing here. */
function family<T>(tag: number, count: number, make: (random: Random) => T): T[] {
  const random = new Random(SEED + tag);
  return Array.from({ length: Math.ceil(count * SCALE) }, () => make(random));
}

type Values = { shape: number[]; values: number[] };

/** Backend buffers alive, less the input gradient's derived filters of weights already freed. */
function buffers(): number {
  const heap = heapBackend(tf.backend());
  if (heap) derivedTensorCache(heap).sweep();
  return tf.backend().numDataIds();
}

/** Runs `fn` on `backend`; checks that it leaves no tensor and no backend buffer behind. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<Values[]> {
  await tf.setBackend(backend);
  const tensors = tf.memory().numTensors;
  const before = buffers();
  const outs = tf.tidy(fn);
  const read = outs.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  tf.dispose(outs);
  expect(tf.memory().numTensors, `${backend}: tensors left behind`).toBe(tensors);
  expect(buffers(), `${backend}: backend buffers left behind`).toBe(before);
  return read;
}

/** The first disagreement between `actual` and `expected`, or undefined. */
function mismatch(actual: Values[], expected: Values[], tolerance: number): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} outputs, expected ${expected.length}`;
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as Values;
    if (a.shape.join() !== e.shape.join()) return `output ${i}: shape [${a.shape}], expected [${e.shape}]`;
    const scale = Math.max(1e-6, ...e.values.map(Math.abs));
    for (const [j, v] of e.values.entries()) {
      const w = a.values[j] as number;
      if (!(Math.abs(w - v) <= tolerance * scale)) {
        return `output ${i} [${e.shape}]: element ${j} is ${w}, expected ${v} (tolerance ${tolerance} x ${scale})`;
      }
    }
  }
  return undefined;
}

async function expectSameAsCpu(c: KernelCase): Promise<void> {
  const context = `seed ${SEED}, case ${c.label}`;
  let wasm: Values[];
  try {
    wasm = await on("wasm", c.run);
  } catch (error) {
    // A wasm abort is a RuntimeError thrown here: it fails this case (and, the runtime being
    // dead, the ones after it), never skips it.
    throw new Error(`${context}: wasm threw ${String(error)}`, { cause: error });
  }
  const cpu = await on("cpu", c.run);
  expect(mismatch(wasm, cpu, c.tolerance), context).toBeUndefined();
}

beforeAll(async () => {
  await initBackend({ backend: "wasm", log: () => {} });
});

describe(`copy chains on wasm vs cpu (seed ${SEED})`, () => {
  it.each(family(1, 400, copyChainCase).map((c, i) => [i, c.label, c] as const))(
    "#%i %s",
    async (_i, _label, c) => expectSameAsCpu(c),
  );
});

describe(`disposal orders on wasm vs cpu (seed ${SEED})`, () => {
  it.each(family(2, 60, disposalScript).map((s, i) => [i, s.label, s] as const))(
    "#%i %s",
    async (_i, _label, script) => {
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const before = buffers();
        const snapshots = script.run();
        expect(buffers(), `${backend}: backend buffers left behind`).toBe(before);
        return snapshots;
      };
      expect(await run("wasm"), `seed ${SEED}, case ${script.label}`).toEqual(await run("cpu"));
    },
  );
});

const CONV_MODES: ConvMode[] = ["conv2d", "fused", "transpose", "nchw", "dilated", "filter reuse"];

describe(`convolutions on wasm vs cpu (seed ${SEED})`, () => {
  const cases = family(3, 180, (random) =>
    convCase(random, CONV_MODES[random.int(CONV_MODES.length)] as ConvMode),
  );
  it.each(cases.map((c, i) => [i, c.label, c] as const))("#%i %s", async (_i, _label, c) =>
    expectSameAsCpu(c),
  );
});

/** d/dx sum(tile(x, reps) * w), by index arithmetic: each element of w adds to x[i mod shape]. */
function tileGradient(shape: number[], reps: number[], w: number[]): number[] {
  const tiled = shape.map((d, a) => d * (reps[a] as number));
  const dx = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
  w.forEach((value, flat) => {
    let rest = flat;
    let index = 0;
    let stride = 1;
    for (let a = shape.length - 1; a >= 0; a--) {
      const coordinate = rest % (tiled[a] as number);
      rest = Math.floor(rest / (tiled[a] as number));
      index += (coordinate % (shape[a] as number)) * stride;
      stride *= shape[a] as number;
    }
    dx[index] = (dx[index] as number) + value;
  });
  return dx;
}

describe(`tile gradient (seed ${SEED})`, () => {
  const cases = family(4, 40, (random) => {
    const rank = random.intBetween(1, 5);
    return {
      shape: Array.from({ length: rank }, () => random.intBetween(1, 4)),
      reps: Array.from({ length: rank }, () => random.intBetween(1, 3)),
      seeds: [random.fork(), random.fork()] as const,
    };
  });
  it.each(cases.map((c, i) => [i, `x [${c.shape}] reps [${c.reps}]`, c] as const))(
    "#%i %s matches index arithmetic on wasm and cpu",
    async (_i, label, c) => {
      const run = () => {
        const x = source(c.shape, "float32", c.seeds[0]);
        const w = source(
          c.shape.map((d, a) => d * (c.reps[a] as number)),
          "float32",
          c.seeds[1],
        );
        return [w, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, c.reps), w)))(x)];
      };
      for (const backend of ["wasm", "cpu"]) {
        const [w, dx] = (await on(backend, run)) as [Values, Values];
        const expected = { shape: c.shape, values: tileGradient(c.shape, c.reps, w.values) };
        expect(mismatch([dx], [expected], 1e-5), `seed ${SEED}, ${backend}, ${label}`).toBeUndefined();
      }
    },
  );
});

describe(`the fused ConvLSTM cell on wasm vs the plain ops on cpu (seed ${SEED})`, () => {
  it.each(family(5, 40, lstmCellCase).map((c, i) => [i, c.label, c] as const))(
    "#%i %s",
    async (_i, _label, c) => {
      const context = `seed ${SEED}, case ${c.label}`;
      const wasm = await on("wasm", c.fused);
      const cpu = await on("cpu", c.unfused);
      expect(mismatch(wasm, cpu, 2e-5), context).toBeUndefined();
    },
  );
});
