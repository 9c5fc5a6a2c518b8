import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { aggregateViews } from "./aggregate.js";

describe("aggregateViews", () => {
  // 2 scenes x 3 views of a [1, 1, 2] representation; view v of scene b holds [10b + v, -(10b + v)].
  const values = [0, 1, 2, 10, 11, 12].flatMap((x) => [x, -x]);

  it("sums each scene's views (scene-major rows)", () => {
    const perView = tf.tensor4d(values, [6, 1, 1, 2]);
    const r = aggregateViews(perView, 3);
    expect(r.shape).toEqual([2, 1, 1, 2]);
    expect(Array.from(r.dataSync())).toEqual([3, -3, 33, -33]);
    tf.dispose([perView, r]);
  });

  it("averages with mode mean", () => {
    const perView = tf.tensor4d(values, [6, 1, 1, 2]);
    const r = aggregateViews(perView, 3, "mean");
    expect(Array.from(r.dataSync())).toEqual([1, -1, 11, -11]);
    tf.dispose([perView, r]);
  });

  it("does not depend on the order of a scene's views", () => {
    const perView = tf.randomNormal([8, 3, 3, 4], 0, 1, "float32", 1) as tf.Tensor4D;
    // Permute the 4 views inside each of the 2 scenes.
    const permuted = tf.gather(perView, [2, 0, 3, 1, 7, 5, 4, 6]) as tf.Tensor4D;
    const a = aggregateViews(perView, 4);
    const b = aggregateViews(permuted, 4);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([perView, permuted, a, b]);
  });

  it("leaks nothing", () => {
    const perView = tf.ones([4, 2, 2, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    aggregateViews(perView, 2, "sum").dispose();
    aggregateViews(perView, 2, "mean").dispose();
    expect(tf.memory().numTensors).toBe(before);
    perView.dispose();
  });

  it("rejects a batch that K does not divide, and bad arguments", () => {
    const perView = tf.ones([5, 1, 1, 2]) as tf.Tensor4D;
    let error: unknown;
    try {
      aggregateViews(perView, 2);
    } catch (e) {
      error = e;
    }
    expect(isGqnError(error, "SHAPE_MISMATCH")).toBe(true);
    expect((error as Error).message).toBe(
      "aggregateViews: perView must have shape [B*2, h, w, c], but got [5, 1, 1, 2].",
    );
    expect(() => aggregateViews(perView, 0)).toThrow(/views must be a positive integer/);
    expect(() => aggregateViews(perView, 5, "max" as never)).toThrow(/mode must be/);
    perView.dispose();
  });
});
