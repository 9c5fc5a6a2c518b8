import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The pixel likelihood DRAW is trained with: the Gaussian negative log density of each target
 * image under `N(mean, sigma^2)` per pixel, summed over pixels and channels:
 * `sum (x - mu)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2`. Add the KL of `Draw.infer` to get
 * the negative ELBO.
 *
 * @param target - `[B, H, W, C]`. Borrowed.
 * @param mean - `[B, H, W, C]`, the image mean `Draw.infer` returns. Borrowed.
 * @param sigma - the pixel standard deviation (in the GQN, the annealed sigma_t).
 * @returns `[B]` nats per image, owned by the caller (take `tf.mean` for a scalar loss).
 */
export function gaussianNll(target: tf.Tensor4D, mean: tf.Tensor4D, sigma: number): tf.Tensor1D {
  assertShape(mean.shape, target.shape, "gaussianNll", "mean");
  const [, h, w, c] = target.shape;
  // DiagonalGaussian.logProb, summed, but with its constant added once in float64: summed per pixel in
  // float32 it is off by 1.1 nats at 64x64x3 (measured), more than the tests allow.
  const constant = nllFloor(h * w * c, sigma);
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(tf.sub(target, mean)), [1, 2, 3]); // [B]
    return tf.add(tf.div(squared, 2 * sigma * sigma), constant) as tf.Tensor1D;
  });
}

/**
 * The part of {@link gaussianNll} that no prediction can remove: `dims * (log sigma + log(2 pi) / 2)`
 * nats (about 6909 for 64x64x3 at sigma 0.7). NLL minus this is the reconstruction error term.
 */
export function nllFloor(dims: number, sigma: number): number {
  return dims * (Math.log(sigma) + HALF_LOG_TWO_PI);
}
