import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The Gaussian negative log density of each target image under `N(mean, sigma^2)` per pixel,
 * summed over pixels and channels: `sum (x - mu)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2`.
 *
 * @param target - `[B, H, W, C]`. Borrowed.
 * @param mean - `[B, H, W, C]`, the observation head's linear output. Borrowed.
 * @param sigma - the pixel standard deviation (the annealed sigma_t).
 * @returns `[B]` nats per image, owned by the caller.
 */
export function gaussianNll(target: tf.Tensor4D, mean: tf.Tensor4D, sigma: number): tf.Tensor1D {
  assertShape(mean.shape, target.shape, "gaussianNll", "mean");
  const [, h, w, c] = target.shape;
  // @gqn/draw's gaussianLogDensity, summed, but with its constant added once in float64: summed
  // per pixel in float32 it is off by 1.1 nats at 64x64x3 (measured), more than the tests allow.
  const constant = h * w * c * (Math.log(sigma) + HALF_LOG_TWO_PI);
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(tf.sub(target, mean)), [1, 2, 3]); // [B]
    return tf.add(tf.div(squared, 2 * sigma * sigma), constant) as tf.Tensor1D;
  });
}

/** The terms of the negative ELBO, each averaged over the batch (scalars owned by the caller). */
export interface ElboTerms {
  /** `nll + kl`: what training minimises, in nats per image. */
  loss: tf.Scalar;
  /** Gaussian NLL of the target at sigma, summed over pixels. */
  nll: tf.Scalar;
  /** KL(q || p) summed over latents and DRAW steps. */
  kl: tf.Scalar;
}

/**
 * The negative ELBO of a batch: NLL of the target at `sigma` summed over pixels, plus the KL
 * summed over steps and latents, both averaged over the batch (docs/model.md).
 *
 * @param target - `[B, H, W, C]`. Borrowed.
 * @param mean - `[B, H, W, C]`. Borrowed.
 * @param klPerStep - `[B, L]` nats per step, already summed over latents. Borrowed.
 */
export function elboTerms(
  target: tf.Tensor4D,
  mean: tf.Tensor4D,
  klPerStep: tf.Tensor2D,
  sigma: number,
): ElboTerms {
  assertShape(klPerStep.shape, [target.shape[0], null], "elboTerms", "klPerStep");
  return tf.tidy(() => {
    const nll = tf.mean(gaussianNll(target, mean, sigma)) as tf.Scalar;
    const kl = tf.mean(tf.sum(klPerStep, 1)) as tf.Scalar;
    return { loss: tf.add(nll, kl) as tf.Scalar, nll, kl };
  });
}

/** Nats per image to bits per dimension: `nats / (dims * ln 2)` with `dims = H * W * C`. */
export function bitsPerDim(nats: number, dims: number): number {
  return nats / (dims * Math.LN2);
}

/**
 * The part of the NLL that no prediction can remove: `dims * (log sigma + log(2 pi) / 2)` nats
 * (about 6909 for 64x64x3 at sigma 0.7). NLL minus this is the reconstruction error term.
 */
export function nllFloor(dims: number, sigma: number): number {
  return dims * (Math.log(sigma) + HALF_LOG_TWO_PI);
}

/** Peak signal-to-noise ratio in dB of a mean squared error, for images in [0, 1]. */
export function psnrFromMse(mse: number): number {
  return mse > 0 ? -10 * Math.log10(mse) : Number.POSITIVE_INFINITY;
}

/**
 * Per-image mean squared error between the predicted mean, clipped to [0, 1] as it is rendered,
 * and the target.
 *
 * @returns `[B]`, owned by the caller.
 */
export function imageMse(target: tf.Tensor4D, mean: tf.Tensor4D): tf.Tensor1D {
  assertShape(mean.shape, target.shape, "imageMse", "mean");
  return tf.tidy(
    () => tf.mean(tf.square(tf.sub(tf.clipByValue(mean, 0, 1), target)), [1, 2, 3]) as tf.Tensor1D,
  );
}
