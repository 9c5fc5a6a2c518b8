import type { RgbImage } from "@gqn/data";
import { type GqnModel, imageGrid } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";

/** The tensors a batch's image grids show, owned by the caller. */
export interface PriorAndPosterior {
  /** `[B, S, S, 3]`: the prior's render of each query view (what the model draws unseen). */
  prior: tf.Tensor4D;
  /**
   * `[B, S, S, 3]`: the posterior's reconstruction of each target, the mean image of DRAW's
   * inference path (`infer`), which sees the target.
   */
  posterior: tf.Tensor4D;
}

/** Renders a batch's queries with the prior and reconstructs its targets with the posterior, both seeded. */
export function priorAndPosterior(
  model: GqnModel,
  batch: {
    contextFrames: tf.Tensor5D;
    contextPoses: tf.Tensor3D;
    queryPose: tf.Tensor2D;
    target: tf.Tensor4D;
  },
  seed: number,
): PriorAndPosterior {
  return tf.tidy(() => {
    const r = model.represent(batch.contextFrames, batch.contextPoses);
    const context = { frames: batch.contextFrames, poses: batch.contextPoses };
    const prior = model.render(r, batch.queryPose, { seed, context });
    const { mean } = model.infer(r, batch.queryPose, batch.target, { seed, context });
    return { prior, posterior: mean };
  });
}

/**
 * One row per scene: target | prior render | posterior reconstruction. Async: {@link imageGrid}
 * reads the pixels back.
 */
export async function targetPriorPosteriorGrid(
  target: tf.Tensor4D,
  prior: tf.Tensor4D,
  posterior: tf.Tensor4D,
): Promise<RgbImage> {
  const targets = tf.expandDims(target, 1) as tf.Tensor5D; // [B, 1, S, S, 3]
  try {
    return await imageGrid(targets, [prior, posterior]);
  } finally {
    targets.dispose();
  }
}
