import type * as tf from "@tensorflow/tfjs-core";

/** The context views of a batch of scenes, as a {@link ContextReader} looks at them. */
export interface ContextViews {
  /** `[B, K, S, S, 3]`, RGB in [0, 1]. */
  readonly frames: tf.Tensor5D;
  /** `[B, K, 7]`. */
  readonly poses: tf.Tensor3D;
  /** The encoder's representation of each view, before aggregation: `[B, K, h, w, c]`. */
  readonly features: tf.Tensor5D;
}

/**
 * What a {@link ContextReader} prepared for one batch of queries: a part of DRAW's condition, and
 * the read DRAW's cores make at every step (each present when its channel count is not 0).
 */
export interface ContextReads {
  /** `[B, g, g, conditionChannels]`: joins DRAW's condition beside r and the query pose. */
  condition?: tf.Tensor4D;
  /**
   * One core's read: its hidden state `[B, g, g, C]` (borrowed) queries what was prepared for
   * its cell; returns `[B, g, g, readChannels]`, owned by the caller. Differentiable.
   */
  read?(h: tf.Tensor4D, core: "generator" | "inference"): tf.Tensor4D;
}

/**
 * A query-conditioned representation: where a {@link SceneEncoder} summarises the context views
 * once, whatever the query, a reader looks at them anew for each query camera, and DRAW's cores
 * read from it with their hidden state at every step (`@gqn/draw`'s `DrawRead`). The built-in one
 * is {@link EpipolarReader}: attention over the context views sampled along each query cell's ray.
 *
 * Tensors: inputs are borrowed; what `prepare` returns holds tensors of the caller's scope (call it
 * inside the `tf.tidy` of the pass that reads from it).
 */
export interface ContextReader {
  /** Channels of each per-step read: DRAW's `readChannels` (0: no read). */
  readonly readChannels: number;
  /** Channels it adds to DRAW's condition (0: none). */
  readonly conditionChannels: number;
  /**
   * Prepares the reads of one batch of queries on DRAW's `grid x grid` core grid.
   *
   * @param views - the K context views of each of the B scenes. Borrowed.
   * @param queryPose - `[B, 7]`. Borrowed.
   */
  prepare(views: ContextViews, queryPose: tf.Tensor2D, grid: number): ContextReads;
}
