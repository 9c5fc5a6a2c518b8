import type * as tf from "@tensorflow/tfjs-core";

/**
 * A representation network: maps ONE view (a frame and its camera pose) to a representation.
 *
 * This is the whole contract between an encoder and the rest of GQN. The aggregation over a
 * scene's K context views lives outside the encoder ({@link aggregateViews}, {@link encodeScene}),
 * so an implementation never sees K and must treat the N views of a batch independently: row `i`
 * of the output depends on row `i` of the inputs only.
 *
 * Tensors: `frames` and `poses` are borrowed (the encoder must not dispose them); the returned
 * tensor belongs to the caller; nothing else may stay allocated after `encode` returns.
 *
 * To train inside the full model and be saved with it, an encoder must also be a tfjs-layers
 * `Layer` whose `trainableWeights` lists every weight it uses: extend {@link SceneEncoderLayer}
 * (see `docs/encoders.md`, "Adding an encoder"), and check it with `describeSceneEncoder` from
 * `@gqn/encoders/testing`.
 *
 * @example
 * ```ts
 * const encoder = createEncoder({ type: "tower", frameSize: 64 });
 * const r = encoder.encode(frames, poses); // [N, 16, 16, 256]
 * ```
 */
export interface SceneEncoder {
  /** Height and width of the square frames the encoder accepts, in pixels (`H = W`). */
  readonly frameSize: number;
  /** Length of a camera pose vector; 7 for GQN's `[x, y, z, sin yaw, cos yaw, sin pitch, cos pitch]`. */
  readonly poseSize: number;
  /** Shape of one view's representation, `[h, w, c]`. */
  readonly outputShape: readonly [number, number, number];
  /**
   * Encodes N independent views.
   *
   * @param frames - `[N, frameSize, frameSize, 3]`, RGB in [0, 1]. Borrowed.
   * @param poses - `[N, poseSize]`. Borrowed.
   * @returns `[N, ...outputShape]`, owned by the caller.
   */
  encode(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D;
}
