// The GQN's math, top to bottom (Eslami et al. 2018, the paper's supplement, Figs. S1-S2):
//
//   represent   r_k = f(x_k, v_k); r = sum_k r_k        the scene, from K context views
//   condition   DRAW's input on its core grid: r, the query pose v_q (and a reader's look along v_q's rays)
//   DRAW        L steps of a generator (and, training, an inference) ConvLSTM writing to a canvas
//   render      x_q ~ g(x | r, v_q): the prior's image
//   infer       the posterior's image and KL per step, from the target x_q
//   ELBO        -log N(x_q | mean, sigma) + sum_l KL(q_l || p_l): what training minimises
//   evaluate    the ELBO and one prior render of a test batch, every score from that one render
//
// Functions of the weights (`GqnParts`) and tensors; nothing here checks a user's arguments
// (GqnModel does) or owns a weight (GqnLayer does). Shapes use B batch, K views, S frame size,
// g = S/4 DRAW's core grid, c the representation's channels, L DRAW's steps.
import { assertShape, deriveSeed, GqnError } from "@gqn/core";
import { type Draw, type DrawRead, gaussianNll, type InferResult } from "@gqn/draw";
import {
  aggregateViews,
  type ContextViews,
  type EpipolarReader,
  GQN_POSE_SIZE,
  type SceneEncoderLayer,
  tilePose,
} from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import type { GqnBatch } from "./gqn-batch.js";
import type { GqnConfig } from "./gqn-config.js";

/** The networks of one GQN (the weights GqnLayer owns), as the functions below use them. */
export interface GqnParts {
  readonly gqnConfig: GqnConfig;
  /** f: one context view and its pose to its representation r_k. */
  readonly encoder: SceneEncoderLayer;
  /** Conditional DRAW with its observation head. */
  readonly draw: Draw;
  /** The epipolar reader, in a model with one (`config.reader`). */
  readonly reader: EpipolarReader | undefined;
}

/** The context views a model with a reader looks at again (render or infer from a kept r). */
export interface ContextInput {
  /** `[B, K, S, S, 3]`: the frames `represent` was given. */
  frames: tf.Tensor5D;
  /** `[B, K, 7]`. */
  poses: tf.Tensor3D;
}

/** What {@link represent} returns. */
export interface Representation {
  /** `[B, h, w, c]` (h = w = 1, or g for a tower with a map). */
  r: tf.Tensor4D;
  /** For a model with a reader: the views it reads, each view's r_k kept before the sum. */
  views?: ContextViews;
}

/** DRAW's input for one batch of queries. */
interface Conditioning {
  /** `[B, g, g, c + 7 (+ the reader's summary)]`, fixed over DRAW's steps. */
  condition: tf.Tensor4D;
  /** The reader's per-step look, with a core's hidden state as the query. */
  read?: DrawRead;
}

/** Per-call options of a render (`GqnModel.render`). */
export interface RenderOptions {
  /** Seed of the prior samples: the same seed, weights and inputs give the same image. */
  seed?: number;
  /** DRAW steps to run; default the trained L. */
  steps?: number;
  /**
   * Prior draws to average; default 1 (one sample). Averaging N draws estimates the model's
   * predictive mean, the image with the least expected squared error under the model: use it to
   * score renders by MSE/PSNR, where one sample pays for the spread of the latents twice.
   */
  samples?: number;
  /**
   * The context views again, for a model with a reader (`config.reader`, epipolar attention),
   * which looks along each query's rays into them; required by such a model, ignored otherwise.
   */
  context?: ContextInput;
}

/** Per-call options of an inference pass (`GqnModel.infer`, `lossTerms`). */
export interface InferOptions {
  /** Seed of the posterior samples. */
  seed?: number;
  /** DRAW steps of this pass; default the model's L (another L needs tied DRAW weights). */
  steps?: number;
  /** The context views again, for a model with a reader (see {@link RenderOptions.context}). */
  context?: ContextInput;
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

/** What {@link evaluateBatch} returns: the ELBO's terms and the scores of one prior render. */
export interface BatchEvaluation extends ElboTerms {
  /** The mean over the batch of each image's MSE between `render` and the target. */
  mse: tf.Scalar;
  /** `[B, S, S, 3]`: the prior render `mse` scores. */
  render: tf.Tensor4D;
}

/**
 * The scene representation: the encoder on each context view, then the sum (the paper) or the
 * mean over the K views. Call inside a tidy.
 *
 * @param frames - `[B, K, S, S, 3]` in [0, 1]. Borrowed.
 * @param poses - `[B, K, 7]`. Borrowed.
 */
export function represent(parts: GqnParts, frames: tf.Tensor5D, poses: tf.Tensor3D): Representation {
  const s = parts.gqnConfig.frameSize;
  assertShape(frames.shape, [null, null, s, s, 3], "GqnModel.represent", "contextFrames");
  const [b, k] = frames.shape;
  assertShape(poses.shape, [b, k, GQN_POSE_SIZE], "GqnModel.represent", "contextPoses");
  const perView = parts.encoder.encode(
    tf.reshape(frames, [b * k, s, s, 3]),
    tf.reshape(poses, [b * k, GQN_POSE_SIZE]),
  ); // r_k: [B*K, h, w, c]
  const r = aggregateViews(perView, k, parts.gqnConfig.aggregation); // [B, h, w, c]
  if (!parts.reader) return { r };
  const [, h, w, c] = perView.shape;
  const features = tf.reshape(perView, [b, k, h, w, c]) as tf.Tensor5D; // [B, K, h, w, c]
  return { r, views: { frames, poses, features } };
}

/** DRAW's core grid: `frameSize / draw.scale` (S/4 in the GQN). */
export function coreGrid(parts: GqnParts): number {
  return parts.gqnConfig.frameSize / parts.draw.drawConfig.scale;
}

/**
 * r and the query pose on DRAW's core grid: a 1x1 r tiled to it (as tf-gqn does; the torch ports'
 * learnt upsampling is not used), a coarser square r repeated to it (a tower's S/4 map on a DRAW
 * of scale 2), the pose tiled beside it.
 *
 * @param r - `[B, h, h, c]` with h dividing `grid`. Borrowed.
 * @param queryPose - `[B, P]`. Borrowed.
 * @returns `[B, grid, grid, c + P]`.
 */
export function queryCondition(r: tf.Tensor4D, queryPose: tf.Tensor2D, grid: number): tf.Tensor4D {
  const [b, h, w, c] = r.shape;
  assertShape(queryPose.shape, [b, null], "queryCondition", "queryPose");
  if (!(h === w && grid % h === 0)) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `queryCondition: r must have shape [${b}, h, h, c] with h dividing ${grid} (1 or ${grid}, say), but got [${r.shape.join(", ")}].`,
    );
  }
  return tf.tidy(() => {
    const f = grid / h;
    let grown = r;
    if (f > 1) {
      // Each cell repeated f x f (a 1x1 r tiled whole), in two rank-4 tiles: WebGPU runs a tile
      // of rank 5 or more on the CPU.
      const wide = tf.reshape(tf.tile(tf.reshape(r, [b * h, w, 1, c]), [1, 1, f, 1]), [b, h, 1, w * f * c]);
      grown = tf.reshape(tf.tile(wide, [1, 1, f, 1]), [b, grid, grid, c]);
    }
    return tf.concat([grown, tilePose(queryPose, grid, grid)], 3) as tf.Tensor4D; // [B, g, g, c + P]
  });
}

/**
 * DRAW's condition for a batch of queries, and for a model with a reader its look along each
 * query cell's ray into the context views (a summary joins the condition; a per-step read joins
 * the cores' inputs). Call inside the pass's tidy.
 *
 * @param context - the context views again, when `rep` was kept without them.
 */
function condition(
  parts: GqnParts,
  rep: Representation,
  queryPose: tf.Tensor2D,
  context: ContextInput | undefined,
  where: string,
): Conditioning {
  const grid = coreGrid(parts);
  const base = queryCondition(rep.r, queryPose, grid); // [B, g, g, c + 7]
  if (!parts.reader) return { condition: base };
  let views = rep.views;
  if (views === undefined) {
    if (context === undefined) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `GqnModel.${where}: this model reads its context views along each query's rays (config.reader "epipolar"): pass options.context = { frames, poses }, the context that r was made from.`,
      );
    }
    views = represent(parts, context.frames, context.poses).views as ContextViews;
  }
  const reads = parts.reader.prepare(views, queryPose, grid);
  return {
    condition: reads.condition ? (tf.concat([base, reads.condition], 3) as tf.Tensor4D) : base, // [B, g, g, c + 7 + summary]
    ...(reads.read && { read: reads.read }),
  };
}

/**
 * DRAW's prior rendering of the query views: the observation head's mean clipped to [0, 1]; with
 * `samples` > 1 the mean of that many prior draws (draw 0 is the one-sample render of `seed`).
 *
 * DRAW's step l (`Draw.generate`): p_l from h_g; z_l ~ p_l; h_g = ConvLSTM_g(condition, z_l[, read]);
 * canvas += ConvT(h_g). Then mean = conv1x1(canvas).
 *
 * @returns `[B, S, S, 3]`, owned by the caller.
 */
export function render(
  parts: GqnParts,
  rep: Representation,
  queryPose: tf.Tensor2D,
  options: RenderOptions = {},
): tf.Tensor4D {
  const samples = options.samples ?? 1;
  return tf.tidy(() => {
    const { condition: cond, read } = condition(parts, rep, queryPose, options.context, "render");
    let sum: tf.Tensor4D | undefined;
    for (let i = 0; i < samples; i++) {
      const seed =
        options.seed === undefined || i === 0 ? options.seed : deriveSeed(options.seed, "sample", i);
      const { mean } = parts.draw.generate(cond, {
        ...(seed !== undefined && { seed }),
        ...(options.steps !== undefined && { steps: options.steps }),
        ...(read !== undefined && { read }),
      }); // [B, S, S, 3]
      const image = tf.clipByValue(mean, 0, 1) as tf.Tensor4D;
      sum = sum === undefined ? image : (tf.add(sum, image) as tf.Tensor4D);
    }
    return (samples === 1 ? sum : tf.div(sum as tf.Tensor4D, samples)) as tf.Tensor4D; // [B, S, S, 3]
  });
}

/**
 * DRAW with the posterior, which sees the target: the canvas's mean image and each step's KL.
 * Differentiable.
 *
 * DRAW's step l (`Draw.infer`): p_l from h_g; h_e = ConvLSTM_e(condition, h_g, down(x_q, canvas)[, read]);
 * q_l from h_e; z_l ~ q_l; h_g = ConvLSTM_g(condition, z_l[, read]); canvas += ConvT(h_g);
 * KL(q_l || p_l). Where the backend has the fused cell kernels, DRAW runs this as one op with a
 * hand-written backward, chosen once when it is built (`Draw.trainingPass`): an equivalent of the
 * readable loop, tested against it (fused-infer.test.ts).
 *
 * @param target - `[B, S, S, 3]` in [0, 1]. Borrowed.
 * @returns `mean [B, S, S, 3]` (unclipped) and `klPerStep [B, L]`, owned by the caller.
 */
export function infer(
  parts: GqnParts,
  rep: Representation,
  queryPose: tf.Tensor2D,
  target: tf.Tensor4D,
  options: InferOptions = {},
): InferResult {
  return tf.tidy(() => {
    const { condition: cond, read } = condition(parts, rep, queryPose, options.context, "infer");
    const { mean, klPerStep } = parts.draw.infer(cond, target, {
      ...(options.seed !== undefined && { seed: options.seed }),
      ...(options.steps !== undefined && { steps: options.steps }),
      ...(read !== undefined && { read }),
    }); // [B, S, S, 3], [B, L]
    return { mean, klPerStep };
  });
}

/**
 * The negative ELBO of a batch: the target's Gaussian NLL at `sigma` summed over pixels, plus the
 * KL summed over steps and latents, both averaged over the batch (docs/model.md).
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
    const nll = tf.mean(gaussianNll(target, mean, sigma)) as tf.Scalar; // sum over pixels, mean over B
    const kl = tf.mean(tf.sum(klPerStep, 1)) as tf.Scalar; // sum over steps, mean over B
    return { loss: tf.add(nll, kl) as tf.Scalar, nll, kl };
  });
}

/** The negative ELBO of a batch from its representation. Differentiable; call inside a tidy. */
export function lossTerms(
  parts: GqnParts,
  rep: Representation,
  batch: GqnBatch,
  sigma: number,
  options: InferOptions = {},
): ElboTerms {
  const { mean, klPerStep } = infer(parts, rep, batch.queryPose, batch.target, options); // [B, S, S, 3], [B, L]
  return elboTerms(batch.target, mean, klPerStep, sigma);
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

/**
 * A test batch's ELBO (posterior seeded `seed`) and one prior render (seeded
 * `deriveSeed(seed, "render")`) with its MSE, from one representation: every score of the batch
 * is taken on this one render.
 *
 * @returns tensors owned by the caller.
 */
export function evaluateBatch(
  parts: GqnParts,
  batch: GqnBatch,
  sigma: number,
  seed: number | undefined,
): BatchEvaluation {
  return tf.tidy(() => {
    const rep = represent(parts, batch.contextFrames, batch.contextPoses); // r [B, h, w, c]
    const terms = lossTerms(parts, rep, batch, sigma, seed === undefined ? {} : { seed });
    const image = render(
      parts,
      rep,
      batch.queryPose,
      seed === undefined ? {} : { seed: deriveSeed(seed, "render") },
    ); // [B, S, S, 3]
    return { ...terms, mse: tf.mean(imageMse(batch.target, image)) as tf.Scalar, render: image };
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
