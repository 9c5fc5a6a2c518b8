import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { type Aggregation, aggregateViews } from "./aggregate.js";
import type { SceneEncoder } from "./scene-encoder.js";

/** Per-call options of {@link encodeScene}. */
export interface EncodeSceneOptions {
  /** How the K views combine; default `sum` (the paper's). */
  aggregation?: Aggregation;
}

/**
 * The scene representation r of a batch of scenes: every context view encoded by `encoder`
 * (as one batch of B*K views), then aggregated over K.
 *
 * @param frames - `[B, K, H, W, 3]`, RGB in [0, 1]. Borrowed.
 * @param poses - `[B, K, P]`. Borrowed.
 * @returns `[B, ...encoder.outputShape]`, owned by the caller.
 */
export function encodeScene(
  encoder: SceneEncoder,
  frames: tf.Tensor5D,
  poses: tf.Tensor3D,
  options: EncodeSceneOptions = {},
): tf.Tensor4D {
  const s = encoder.frameSize;
  assertShape(frames.shape, [null, null, s, s, 3], "encodeScene", "frames");
  const [b, k] = frames.shape;
  assertShape(poses.shape, [b, k, encoder.poseSize], "encodeScene", "poses");
  return tf.tidy(() => {
    const views = encoder.encode(
      tf.reshape(frames, [b * k, s, s, 3]),
      tf.reshape(poses, [b * k, encoder.poseSize]),
    ); // [B*K, h, w, c]
    return aggregateViews(views, k, options.aggregation ?? "sum"); // [B, h, w, c]
  });
}
