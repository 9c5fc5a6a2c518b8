import { checkInteger, GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/** How the K views of a scene combine: the paper's element-wise sum, or their mean. */
export type Aggregation = "sum" | "mean";

/**
 * Combines per-view representations into scene representations: `[B*K, h, w, c]` (scene-major:
 * rows `b*K .. b*K+K-1` belong to scene b) -> `[B, h, w, c]`. Sum (the paper's choice) grows
 * with K; mean keeps the scale of one view. Both ignore the order of a scene's views.
 *
 * @param perView - `[B*K, h, w, c]`. Borrowed.
 * @param views - K, the number of context views per scene.
 * @returns `[B, h, w, c]`, owned by the caller.
 */
export function aggregateViews(perView: tf.Tensor4D, views: number, mode: Aggregation = "sum"): tf.Tensor4D {
  checkInteger(views, "aggregateViews", "views");
  if (mode !== "sum" && mode !== "mean") {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `aggregateViews: mode must be "sum" or "mean", but got ${JSON.stringify(mode)}.`,
    );
  }
  if (perView.rank !== 4 || perView.shape[0] % views !== 0) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `aggregateViews: perView must have shape [B*${views}, h, w, c], but got [${perView.shape.join(", ")}].`,
    );
  }
  const [n, h, w, c] = perView.shape;
  return tf.tidy(() => {
    const grouped = tf.reshape(perView, [n / views, views, h, w, c]); // [B, K, h, w, c]
    return (mode === "sum" ? tf.sum(grouped, 1) : tf.mean(grouped, 1)) as tf.Tensor4D;
  });
}
