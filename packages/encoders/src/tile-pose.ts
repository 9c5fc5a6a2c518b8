import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Broadcasts each pose over a spatial grid: `[N, P]` -> `[N, height, width, P]`, with
 * `out[n, y, x, :] = poses[n, :]` at every cell. Encoders concatenate it with image features;
 * @gqn/model uses it for the query pose.
 *
 * @param poses - `[N, P]`. Borrowed.
 * @returns `[N, height, width, P]`, owned by the caller.
 */
export function tilePose(poses: tf.Tensor2D, height: number, width: number): tf.Tensor4D {
  assertShape(poses.shape, [null, null], "tilePose", "poses");
  const [n, p] = poses.shape;
  return tf.tidy(() => tf.tile(tf.reshape(poses, [n, 1, 1, p]), [1, height, width, 1]) as tf.Tensor4D);
}
