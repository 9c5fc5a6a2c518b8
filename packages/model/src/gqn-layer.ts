import { assertShape, deriveSeed, GqnError } from "@gqn/core";
import type { Kwargs, LayerArgs } from "@gqn/core/layers";
import { Draw, type DrawRead, type InferResult, resolveDrawConfig } from "@gqn/draw";
import {
  aggregateViews,
  type ContextViews,
  createEncoder,
  EpipolarReader,
  GQN_POSE_SIZE,
  type SceneEncoderLayer,
} from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { buildCondition } from "./condition.js";
import { type GqnConfig, validateGqnConfig } from "./gqn-config.js";

/** Construction arguments of {@link GqnLayer} (JSON; stored in `model.json`). */
interface GqnLayerArgs extends LayerArgs {
  /** The whole model, as {@link resolveGqnConfig} returns it. */
  gqn: GqnConfig;
  /**
   * Seed of the weight initialisers (the encoder gets `deriveSeed(seed, "encoder")` unless its
   * config carries one, DRAW `deriveSeed(seed, "draw")`). Default: unseeded.
   */
  seed?: number;
}

/** The context views a render or inference pass of a model with a reader looks at again. */
export interface ContextInput {
  /** `[B, K, S, S, 3]`: the frames `represent` was given. */
  frames: tf.Tensor5D;
  /** `[B, K, 7]`. */
  poses: tf.Tensor3D;
}

/** Per-call options of `GqnModel.render`. */
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

/** Per-call options of `GqnModel.infer`. */
export interface InferOptions {
  /** Seed of the posterior samples. */
  seed?: number;
  /** DRAW steps of this pass; default the model's L (another L needs tied DRAW weights). */
  steps?: number;
  /** The context views again, for a model with a reader (see {@link RenderOptions.context}). */
  context?: ContextInput;
}

/**
 * The whole GQN as one tfjs-layers `Layer`, holding every weight: the representation network
 * with its aggregation over context views, and conditional DRAW with its observation head.
 *
 * ```
 * represent:  r_k = encoder(x_k, v_k)                [B*K, h, w, c]   (h = w = 1 or S/4)
 *             r   = sum_k r_k (or mean)               [B, h, w, c]
 * render:     cond = concat(tile(r), tile(v_q))       [B, S/4, S/4, c + 7]
 *             (+ the reader's plane-sweep summary)    [B, S/4, S/4, c + 7 + 32]
 *             x_q ~ DRAW prior(cond)                  [B, S, S, 3]   (+ the reader's per-step read)
 * infer:      the same cond, DRAW's posterior sees x_q -> mean, KL per step
 * ```
 * With a reader (`config.reader`, epipolar) render and infer look at the context views again,
 * along the query's rays: the encoder's per-view maps r_k and the frames.
 *
 * As a layer (`apply` / `predict` on `[frames [B,K,S,S,3], poses [B,K,7], query [B,7]]`) it
 * returns the prior's rendering clipped to [0, 1] (unseeded). Weights are named
 * `<layer name>/encoder/...` and `<layer name>/draw/...`, so `model.save` -> `tf.loadLayersModel`
 * restores them (importing `@gqn/model` registers the class).
 *
 * Internal: users hold a {@link GqnModel}, which checks their inputs and calls these methods; the
 * layer checks only what reaches it through tfjs (`apply` / `predict`).
 */
export class GqnLayer extends tfl.layers.Layer {
  /** @internal The class name that saved checkpoints carry (the layer was called GqnRenderer). */
  static className = "GqnRenderer";
  /** The model configuration. */
  readonly gqnConfig: GqnConfig;
  /** The representation network. */
  readonly encoder: SceneEncoderLayer;
  /** Conditional DRAW with its observation head. */
  readonly draw: Draw;
  /** The epipolar reader, in a model with one. */
  readonly reader: EpipolarReader | undefined;
  /** The initialiser seed, or undefined. */
  readonly seed: number | undefined;

  constructor(args: GqnLayerArgs) {
    super({ ...args, name: args.name ?? "gqn" });
    // DRAW's defaults filled in: checkpoints written before a DRAW field existed compare equal.
    this.gqnConfig = { ...structuredClone(args.gqn), draw: resolveDrawConfig(args.gqn.draw) };
    this.seed = args.seed ?? undefined;
    const seeded = (part: string) => (this.seed === undefined ? undefined : deriveSeed(this.seed, part));
    const encoderSeed = this.gqnConfig.encoder.seed ?? seeded("encoder");
    // Fixed child names: weight names must come out the same when tfjs rebuilds the model at load.
    this.encoder = createEncoder({
      ...this.gqnConfig.encoder,
      name: "encoder",
      ...(encoderSeed !== undefined && { seed: encoderSeed }),
    });
    const drawSeed = seeded("draw");
    this.draw = new Draw({
      ...this.gqnConfig.draw,
      name: "draw",
      ...(drawSeed !== undefined && { seed: drawSeed }),
    });
    const readerSeed = seeded("reader");
    this.reader =
      this.gqnConfig.reader === undefined
        ? undefined
        : new EpipolarReader({
            config: this.gqnConfig.reader,
            name: "reader",
            ...(readerSeed !== undefined && { seed: readerSeed }),
          });
  }

  /** Height and width of the frames, in pixels. */
  get frameSize(): number {
    return this.gqnConfig.frameSize;
  }

  /** DRAW's core grid: `frameSize / draw.scale` (`frameSize / 4` in the GQN). */
  get coreGrid(): number {
    return this.gqnConfig.frameSize / this.draw.drawConfig.scale;
  }

  /** Channels of the conditioning tensor: the representation's, the pose's and the reader's. */
  get conditionChannels(): number {
    return this.encoder.outputShape[2] + GQN_POSE_SIZE + (this.reader?.conditionChannels ?? 0);
  }

  /** Builds the encoder and DRAW (their weights are named under this layer's scope). */
  override build(_inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = this.frameSize;
    const g = this.coreGrid;
    this.encoder.build([
      [null, s, s, 3],
      [null, GQN_POSE_SIZE],
    ]);
    this.encoder.built = true;
    this.draw.build([
      [null, g, g, this.conditionChannels],
      [null, s, s, 3],
    ]);
    this.draw.built = true;
    this.reader?.buildFor(this.encoder.outputShape[2], this.gqnConfig.draw.hiddenChannels);
    this.built = true;
  }

  /** The child layers that hold weights: the encoder, DRAW and the reader (if any). */
  private get children(): tfl.layers.Layer[] {
    return this.reader ? [this.encoder, this.draw, this.reader] : [this.encoder, this.draw];
  }

  /** Every trainable weight: the encoder's, then DRAW's, then the reader's. */
  override get trainableWeights(): tfl.LayerVariable[] {
    if (!this.trainable) return [];
    return [...this.children.flatMap((c) => c.trainableWeights), ...super.trainableWeights];
  }

  override set trainableWeights(weights: tfl.LayerVariable[]) {
    super.trainableWeights = weights;
  }

  /** Every non-trainable weight (all of them when this layer is frozen). */
  override get nonTrainableWeights(): tfl.LayerVariable[] {
    const children = this.children.flatMap((c) =>
      this.trainable ? c.nonTrainableWeights : [...c.trainableWeights, ...c.nonTrainableWeights],
    );
    return [...children, ...super.nonTrainableWeights];
  }

  override set nonTrainableWeights(weights: tfl.LayerVariable[]) {
    super.nonTrainableWeights = weights;
  }

  /** `[[B,K,S,S,3], [B,K,7], [B,7]]` -> `[B,S,S,3]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [first[0] ?? null, this.frameSize, this.frameSize, 3];
  }

  /** The layer's forward pass: the prior's rendering of the query view (unseeded). */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 3) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `GqnLayer.call: inputs must be [contextFrames, contextPoses, queryPose], but got ${Array.isArray(inputs) ? `${inputs.length} tensors` : "one tensor"}.`,
      );
    }
    const [frames, poses, query] = inputs as [tf.Tensor5D, tf.Tensor3D, tf.Tensor2D];
    const seed = typeof kwargs.seed === "number" ? kwargs.seed : undefined;
    return tf.tidy(() => {
      const { r, views } = this.encodeContext(frames, poses);
      return this.render(r, query, seed === undefined ? {} : { seed }, views);
    });
  }

  /**
   * The scene representation of each batch element: the encoder on every context view, then
   * summed (the paper) or averaged over the K views.
   *
   * @param contextFrames - `[B, K, S, S, 3]` in [0, 1]. Borrowed.
   * @param contextPoses - `[B, K, 7]`. Borrowed.
   * @returns r `[B, h, w, c]` (`h = w = 1` or DRAW's core grid), owned by the caller.
   */
  represent(contextFrames: tf.Tensor5D, contextPoses: tf.Tensor3D): tf.Tensor4D {
    return tf.tidy(() => this.encodeContext(contextFrames, contextPoses).r);
  }

  /**
   * r, and for a model with a reader the views it reads (each view's representation before the
   * sum): the encoder runs once for both. Call inside a tidy.
   */
  encodeContext(
    contextFrames: tf.Tensor5D,
    contextPoses: tf.Tensor3D,
  ): { r: tf.Tensor4D; views?: ContextViews } {
    const s = this.frameSize;
    assertShape(contextFrames.shape, [null, null, s, s, 3], "GqnModel.represent", "contextFrames");
    const [b, k] = contextFrames.shape;
    assertShape(contextPoses.shape, [b, k, GQN_POSE_SIZE], "GqnModel.represent", "contextPoses");
    const encoded = this.encoder.encode(
      tf.reshape(contextFrames, [b * k, s, s, 3]),
      tf.reshape(contextPoses, [b * k, GQN_POSE_SIZE]),
    ); // [B*K, h, w, c]
    const r = aggregateViews(encoded, k, this.gqnConfig.aggregation); // [B, h, w, c]
    if (!this.reader) return { r };
    const [, h, w, c] = encoded.shape;
    const features = tf.reshape(encoded, [b, k, h, w, c]) as tf.Tensor5D;
    return { r, views: { frames: contextFrames, poses: contextPoses, features } };
  }

  /**
   * DRAW's condition for a pass: r and the query pose on the core grid, and a reader's part; with
   * the reader's per-step read. Call inside the pass's tidy.
   */
  private conditionFor(
    r: tf.Tensor4D,
    queryPose: tf.Tensor2D,
    views: ContextViews | undefined,
    context: ContextInput | undefined,
    where: string,
  ): { condition: tf.Tensor4D; read?: DrawRead } {
    const base = buildCondition(r, queryPose, this.coreGrid); // [B, S/4, S/4, c + 7]
    if (!this.reader) return { condition: base };
    let seen = views;
    if (seen === undefined) {
      if (context === undefined) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `GqnModel.${where}: this model reads its context views along each query's rays (config.reader "epipolar"): pass options.context = { frames, poses }, the context that r was made from.`,
        );
      }
      seen = this.encodeContext(context.frames, context.poses).views as ContextViews;
    }
    const reads = this.reader.prepare(seen, queryPose, this.coreGrid);
    return {
      condition: reads.condition ? (tf.concat([base, reads.condition], 3) as tf.Tensor4D) : base, // [B, S/4, S/4, c + 7 + S]
      ...(reads.read && { read: reads.read }),
    };
  }

  /**
   * Renders the query views with DRAW's prior (no target seen): the observation head's mean,
   * clipped to [0, 1]; with `samples` > 1, the mean of that many prior draws.
   *
   * @param r - `[B, h, w, c]` from {@link GqnLayer.represent}. Borrowed.
   * @param queryPose - `[B, 7]`. Borrowed.
   * @returns `[B, S, S, 3]`, owned by the caller.
   */
  render(
    r: tf.Tensor4D,
    queryPose: tf.Tensor2D,
    options: RenderOptions = {},
    views?: ContextViews,
  ): tf.Tensor4D {
    const samples = options.samples ?? 1;
    return tf.tidy(() => {
      const { condition: cond, read } = this.conditionFor(r, queryPose, views, options.context, "render");
      let sum: tf.Tensor4D | undefined;
      for (let i = 0; i < samples; i++) {
        // Draw 0 is the one-sample render with this seed; draw i > 0 the one with its derived seed.
        const seed =
          options.seed === undefined || i === 0 ? options.seed : deriveSeed(options.seed, "sample", i);
        const { mean } = this.draw.generate(cond, {
          ...(seed !== undefined && { seed }),
          ...(options.steps !== undefined && { steps: options.steps }),
          ...(read !== undefined && { read }),
        }); // [B, S, S, 3]
        const image = tf.clipByValue(mean, 0, 1) as tf.Tensor4D;
        sum = sum === undefined ? image : (tf.add(sum, image) as tf.Tensor4D);
      }
      return (samples === 1 ? sum : tf.div(sum as tf.Tensor4D, samples)) as tf.Tensor4D;
    });
  }

  /**
   * Runs DRAW with the posterior, which sees the target: the canvas's mean image and the KL of
   * each step, the two ingredients of the ELBO ({@link elboTerms}). Differentiable.
   *
   * @param r - `[B, h, w, c]`. Borrowed.
   * @param queryPose - `[B, 7]`. Borrowed.
   * @param target - `[B, S, S, 3]` in [0, 1]. Borrowed.
   */
  infer(
    r: tf.Tensor4D,
    queryPose: tf.Tensor2D,
    target: tf.Tensor4D,
    options: InferOptions = {},
    views?: ContextViews,
  ): InferResult {
    return tf.tidy(() => {
      const { condition: cond, read } = this.conditionFor(r, queryPose, views, options.context, "infer");
      const { mean, klPerStep } = this.draw.infer(cond, target, {
        ...(options.seed !== undefined && { seed: options.seed }),
        ...(options.steps !== undefined && { steps: options.steps }),
        ...(read !== undefined && { read }),
      }); // [B, S, S, 3], [B, L]
      return { mean, klPerStep };
    });
  }

  /** The layer config plus the model config and the seed. */
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      gqn: structuredClone(this.gqnConfig) as unknown as tf.serialization.ConfigDict,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }

  /** @internal */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    // A model.json may come from anywhere: check its config before building on it.
    validateGqnConfig(config.gqn as unknown as GqnConfig);
    return new cls({ ...config, gqn: config.gqn as unknown as GqnConfig }) as T;
  }
}
tf.serialization.registerClass(GqnLayer);
