import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/** How the K views of a scene combine: the paper's sum, or their mean. */
export type Aggregation = "sum" | "mean";

/** Per-view representations `[B*K, h, w, c]` (scene-major) -> scene representations `[B, h, w, c]`. */
export function aggregateViews(perView: tf.Tensor4D, views: number, mode: Aggregation = "sum"): tf.Tensor4D {
  const [n, h, w, c] = perView.shape;
  if (n % views !== 0)
    assertShape(perView.shape, [null, h, w, c], "aggregateViews", `perView (N divisible by ${views})`);
  return tf.tidy(() => {
    const grouped = tf.reshape(perView, [n / views, views, h, w, c]);
    return (mode === "sum" ? tf.sum(grouped, 1) : tf.mean(grouped, 1)) as tf.Tensor4D;
  });
}
