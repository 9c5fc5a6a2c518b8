import type * as tf from "@tensorflow/tfjs-core";

/**
 * A representation network: maps ONE view (frame and camera pose) to a representation. The
 * aggregation over a scene's K context views lives outside the encoder ({@link aggregateViews}).
 */
export interface SceneEncoder {
  /** The representation of one view, `[h, w, c]`. */
  readonly outputShape: readonly [number, number, number];
  /** frames `[N, H, W, 3]` in [0, 1], poses `[N, 7]` -> representations `[N, h, w, c]`. */
  encode(frames: tf.Tensor4D, poses: tf.Tensor2D, training?: boolean): tf.Tensor4D;
}
