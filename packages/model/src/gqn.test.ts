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

  it("keeps a representation already on the grid, and rejects other grids", () => {
    const r = tf.randomNormal([1, 4, 4, 5], 0, 1, "float32", 1) as tf.Tensor4D;
    const pose = tf.zeros([1, 7]) as tf.Tensor2D;
    const c = queryCondition(r, pose, 4);
    expect(c.shape).toEqual([1, 4, 4, 12]);
    expect(Array.from(tf.slice(c, [0, 0, 0, 0], [1, 4, 4, 5]).dataSync())).toEqual(Array.from(r.dataSync()));
    expect(() => queryCondition(r, pose, 8)).toThrow(
      /r must have shape \[1, 1, 1, c\] or \[1, 8, 8, c\], but got \[1, 4, 4, 5\]/,
    );
    tf.dispose([r, pose, c]);
  });
});
