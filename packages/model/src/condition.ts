import { assertShape, GqnError } from "@gqn/core";
import { tilePose } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";

/**
 * DRAW's conditioning tensor: the scene representation r on the core grid (a 1x1 r tiled to it,
 * as tf-gqn does; the torch ports' learnt upsampling is not used) concatenated with the query
 * pose tiled over the grid.
 *
 * @param r - `[B, 1, 1, c]` or `[B, grid, grid, c]`. Borrowed.
 * @param queryPose - `[B, P]`. Borrowed.
 * @param grid - the core grid size, `frameSize / 4`.
 * @returns `[B, grid, grid, c + P]`, owned by the caller.
 */
export function buildCondition(r: tf.Tensor4D, queryPose: tf.Tensor2D, grid: number): tf.Tensor4D {
  const [b, h, w] = r.shape;
  assertShape(queryPose.shape, [b, null], "buildCondition", "queryPose");
  if (!((h === 1 && w === 1) || (h === grid && w === grid))) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `buildCondition: r must have shape [${b}, 1, 1, c] or [${b}, ${grid}, ${grid}, c], but got [${r.shape.join(", ")}].`,
    );
  }
  return tf.tidy(() => {
    const grown = h === 1 && grid > 1 ? tf.tile(r, [1, grid, grid, 1]) : r; // [B, grid, grid, c]
    return tf.concat([grown, tilePose(queryPose, grid, grid)], 3) as tf.Tensor4D; // [B, grid, grid, c + P]
  });
}
