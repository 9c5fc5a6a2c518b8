import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { tilePose } from "./tile-pose.js";

describe("tilePose", () => {
  it("puts each view's pose at every cell of its grid", () => {
    const n = 3;
    const p = 7;
    const poseValues = Array.from({ length: n * p }, (_, i) => i * 0.5 - 3);
    const poses = tf.tensor2d(poseValues, [n, p]);
    const tiled = tilePose(poses, 4, 5);
    expect(tiled.shape).toEqual([n, 4, 5, p]);
    const values = tiled.arraySync();
    for (let v = 0; v < n; v++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 5; x++) expect(values[v]?.[y]?.[x]).toEqual(poseValues.slice(v * p, v * p + p));
    tf.dispose([poses, tiled]);
  });

  it("leaks nothing and rejects a pose batch of the wrong rank", () => {
    const poses = tf.ones([2, 7]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tilePose(poses, 2, 2).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const flat = tf.ones([7]);
    expect(() => tilePose(flat as unknown as tf.Tensor2D, 2, 2)).toThrow(
      "tilePose: poses must have shape [?, ?], but got [7].",
    );
    tf.dispose([poses, flat]);
  });
});
