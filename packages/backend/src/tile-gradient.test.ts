import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectClose, on, rand } from "../test/conv-parity.js";
import { initBackend } from "./backend-selection.js";
import { TILE_GRADIENT } from "./tile-gradient.js";

/** The gradient of sum(tile(x, reps) * w) by definition: the sum over tiles of w's blocks. */
function reference(x: tf.Tensor, reps: number[], w: tf.Tensor): tf.Tensor {
  let grad = tf.zerosLike(x);
  const count = reps.reduce((a, b) => a * b, 1);
  for (let i = 0; i < count; i++) {
    let rest = i;
    const begin = reps.map((r, a) => {
      const index = rest % r;
      rest = Math.floor(rest / r);
      return index * (x.shape[a] as number);
    });
    grad = tf.add(grad, tf.slice(w, begin, x.shape));
  }
  return grad;
}

describe("tile gradient", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", log: () => {} });
  });

  it("is registered by initBackend", () => {
    expect(tf.getGradient("Tile")).toBe(TILE_GRADIENT);
  });

  const cases: [number[], number[]][] = [
    [[5], [3]],
    [
      [2, 3],
      [2, 1],
    ],
    [
      [2, 1, 1, 7],
      [1, 4, 4, 1],
    ], // a pose tiled to a 4x4 core grid
    [
      [2, 2, 3, 4],
      [2, 3, 1, 2],
    ],
    [
      [2, 1, 2, 1, 3],
      [1, 2, 2, 3, 1],
    ], // rank 5: tfjs' own gradient throws here
    [
      [2, 2, 3, 4],
      [2, 3, 2, 2],
    ], // every axis tiled: a rank-8 view, summed axis by axis (WebGPU stops at rank 6)
    [
      [3, 2],
      [1, 1],
    ], // nothing tiled
  ];
  it.each(cases)("x %j tiled %j matches the definition on wasm and cpu", async (shape, reps) => {
    const run = () => {
      const x = rand(shape, 1);
      const w = rand(
        shape.map((d, a) => d * (reps[a] as number)),
        2,
      );
      const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, reps), w)))(x);
      return [grad, reference(x, reps, w)];
    };
    for (const backend of ["wasm", "cpu"]) {
      const [ours, expected] = await on(backend, run);
      expectClose(
        [ours as { shape: number[]; values: Float32Array }],
        [expected as { shape: number[]; values: Float32Array }],
      );
    }
  });

  it("leaks no tensors", () => {
    const x = rand([2, 1, 1, 3], 1);
    tf.dispose(tf.grad((a: tf.Tensor) => tf.sum(tf.tile(a, [1, 3, 3, 1])))(x));
    const before = tf.memory().numTensors;
    tf.dispose(tf.grad((a: tf.Tensor) => tf.sum(tf.tile(a, [1, 3, 3, 1])))(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
