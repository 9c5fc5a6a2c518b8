import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { queryCondition } from "./gqn.js";

describe("queryCondition", () => {
  it("tiles a 1x1 representation and the query pose over the core grid, without leaks", () => {
    const r = tf.tensor4d([1, 2, 3, 4], [2, 1, 1, 2]);
    const pose = tf.tensor2d([10, 20, 30, 40], [2, 2]);
    const before = tf.memory().numTensors;
    const c = queryCondition(r, pose, 3);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(c.shape).toEqual([2, 3, 3, 4]);
    const values = c.arraySync();
    expect(values[1]?.[2]?.[1]).toEqual([3, 4, 30, 40]);
    expect(values[0]?.[0]?.[0]).toEqual([1, 2, 10, 20]);
    tf.dispose([r, pose, c]);
  });

  it("repeats each cell of a coarser representation over the grid, with its gradient the sum of the repeats", () => {
    const r = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]); // cells (1,2) (3,4) / (5,6) (7,8)
    const pose = tf.tensor2d([9], [1, 1]);
    const c = queryCondition(r, pose, 6);
    expect(c.shape).toEqual([1, 6, 6, 3]);
    const values = c.arraySync()[0] as number[][][];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        const cell = Math.floor(i / 3) * 2 + Math.floor(j / 3);
        expect(values[i]?.[j], `pixel ${i},${j}`).toEqual([1 + 2 * cell, 2 + 2 * cell, 9]);
      }
    }
    const weights = tf.randomUniform([1, 6, 6, 3], -1, 1, "float32", 2);
    const grad = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(queryCondition(x as tf.Tensor4D, pose, 6), weights)),
    )(r);
    const w = (weights.arraySync() as number[][][][])[0] as number[][][];
    const expected = [0, 1, 2, 3].flatMap((cell) =>
      [0, 1].map((ch) => {
        let sum = 0;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++)
            sum += w[Math.floor(cell / 2) * 3 + i]?.[(cell % 2) * 3 + j]?.[ch] as number;
        return sum;
      }),
    );
    for (const [i, g] of Array.from(grad.dataSync()).entries())
      expect(g).toBeCloseTo(expected[i] as number, 5);
    tf.dispose([r, pose, c, weights, grad]);
  });

  it("keeps a representation already on the grid, and rejects other grids", () => {
    const r = tf.randomNormal([1, 4, 4, 5], 0, 1, "float32", 1) as tf.Tensor4D;
    const pose = tf.zeros([1, 7]) as tf.Tensor2D;
    const c = queryCondition(r, pose, 4);
    expect(c.shape).toEqual([1, 4, 4, 12]);
    expect(Array.from(tf.slice(c, [0, 0, 0, 0], [1, 4, 4, 5]).dataSync())).toEqual(Array.from(r.dataSync()));
    expect(() => queryCondition(r, pose, 6)).toThrow(
      "queryCondition: r must have shape [1, h, h, c] with h dividing 6 (1 or 6, say), but got [1, 4, 4, 5].",
    );
    tf.dispose([r, pose, c]);
  });
});
