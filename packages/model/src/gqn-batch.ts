import type * as tf from "@tensorflow/tfjs-core";

/**
 * One training or test batch of scenes: K context views with their poses, a query pose and the
 * target view seen from it. `@gqn/data`'s `SceneBatch` (from `createSceneBatches`) has this
 * shape; any object with these four tensors will do (tests build them from random tensors).
 */
export interface GqnBatch {
  /** `[B, K, H, W, 3]`, RGB in [0, 1]. */
  readonly contextFrames: tf.Tensor5D;
  /** `[B, K, 7]`. */
  readonly contextPoses: tf.Tensor3D;
  /** `[B, 7]`. */
  readonly queryPose: tf.Tensor2D;
  /** `[B, H, W, 3]`, RGB in [0, 1]. */
  readonly target: tf.Tensor4D;
}
