import { assertShape } from "@gqn/core";
import { gaussianNll, nllFloor } from "@gqn/draw";
import * as tf from "@tensorflow/tfjs-core";

// The pixel likelihood is DRAW's: one home for it, so a DRAW-only user needs no @gqn/model.
export { gaussianNll, nllFloor };

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
