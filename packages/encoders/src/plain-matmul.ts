import * as tf from "@tensorflow/tfjs-core";

/** `x` with its last two axes swapped. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1] as number, perm[n - 2] as number];
  return tf.transpose(x, perm);
}

/**
 * `tf.matMul(a, b)` (2-D, or batched with equal batch shapes) whose gradient transposes its
 * operands explicitly and multiplies them untransposed. tfjs's own gradient asks for transposed
 * products, which the wasm backend runs 4-8x slower than a transpose plus a plain product
 * (measured, [40960, 32] x [32, 32]^T: 63 ms against 11 ms), and the epipolar reader's memory
 * and attention are all such products.
 */
export const plainMatMul: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad((a, b, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor, b as tf.Tensor),
    gradFunc: (dy, saved) => {
      const [x, y] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy as tf.Tensor, swapLast(y)), tf.matMul(swapLast(x), dy as tf.Tensor)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
