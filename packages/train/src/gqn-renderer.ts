import { assertShape, GqnError } from "@gqn/core";
import { Draw } from "@gqn/draw";
import { createEncoder, encodeScene, GQN_POSE_SIZE, type SceneEncoderLayer } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { LayerArgs } from "@tensorflow/tfjs-layers/dist/engine/topology";
import type { Kwargs } from "@tensorflow/tfjs-layers/dist/types";
import { buildCondition } from "./condition.js";
import { type ElboTerms, elboTerms } from "./elbo.js";
import type { GqnBatch } from "./gqn-batch.js";
import { type GqnConfig, validateGqnConfig } from "./gqn-config.js";

/** Construction arguments of {@link GqnRenderer} (JSON; stored in `model.json`). */
export interface GqnRendererArgs extends LayerArgs {
  /** The whole model, as {@link resolveGqnConfig} returns it. */
  gqn: GqnConfig;
  /**
   * Seed of the weight initialisers (the encoder gets `seed + 1`, DRAW `seed + 2`, unless the
   * encoder config carries one). Default: unseeded.
   */
  seed?: number;
}

/** Per-call options of {@link GqnRenderer.render}. */
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
}

/** Per-call options of {@link GqnRenderer.lossTerms}. */
export interface LossOptions {
  /** Seed of the posterior samples. */
  seed?: number;
  /** DRAW steps of this pass; default the model's L (another L needs tied DRAW weights). */
  steps?: number;
  /** Passed to the encoder; default true (this is the training path). */
  training?: boolean;
}

/**
 * The whole GQN as one tfjs-layers `Layer`: representation network, aggregation over the
 * context views, the conditioning tensor, and conditional DRAW.
 *
 * ```
 * r_k  = encoder(x_k, v_k)                    [B*K, h, w, c]     (h = w = 1 or frameSize / 4)
 * r    = sum_k r_k  (or mean)                  [B, h, w, c]
 * cond = concat(tile(r), tile(v_q))            [B, S/4, S/4, c + 7]
 * x_q  ~ DRAW(cond)                            [B, S, S, 3]
 * ```
 *
 * As a layer (`apply` / `predict` on `[frames [B,K,S,S,3], poses [B,K,7], query [B,7]]`) it
 * returns the prior's mean image clipped to [0, 1] (unseeded samples); {@link GqnRenderer.render}
 * does the same with a seed, and {@link GqnRenderer.lossTerms} is the training objective.
 * Weights are named `<layer name>/encoder/...` and `<layer name>/draw/...`, so `model.save` ->
 * `tf.loadLayersModel` restores them (import `@gqn/train` first: it registers the class).
 */
export class GqnRenderer extends tfl.layers.Layer {
  /** @internal */
  static className = "GqnRenderer";
  /** The model configuration. */
  readonly gqnConfig: GqnConfig;
  /** The representation network. */
  readonly encoder: SceneEncoderLayer;
  /** Conditional DRAW with its observation head. */
  readonly draw: Draw;
  /** The initialiser seed, or undefined. */
  readonly seed: number | undefined;

  constructor(args: GqnRendererArgs) {
    super({ ...args, name: args.name ?? "gqn" });
    validateGqnConfig(args.gqn);
    this.gqnConfig = structuredClone(args.gqn);
    this.seed = args.seed ?? undefined;
    const seeded = (own: number | undefined, offset: number) =>
      own ?? (this.seed === undefined ? undefined : awayFromZero(this.seed, offset));
    const encoderSeed = seeded(this.gqnConfig.encoder.seed, 1);
    // Fixed child names: weight names must come out the same when tfjs rebuilds the model at load.
    this.encoder = createEncoder({
      ...this.gqnConfig.encoder,
      name: "encoder",
      ...(encoderSeed !== undefined && { seed: encoderSeed }),
    });
    const drawSeed = seeded(undefined, 2);
    this.draw = new Draw({
      ...this.gqnConfig.draw,
      name: "draw",
      ...(drawSeed !== undefined && { seed: drawSeed }),
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

  /** Channels of the conditioning tensor: the representation's plus the pose's. */
  get conditionChannels(): number {
    return this.encoder.outputShape[2] + GQN_POSE_SIZE;
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
    this.built = true;
  }

  /** Every trainable weight: the encoder's, then DRAW's. */
  override get trainableWeights(): tfl.LayerVariable[] {
    if (!this.trainable) return [];
    return [...this.encoder.trainableWeights, ...this.draw.trainableWeights, ...super.trainableWeights];
  }

  override set trainableWeights(weights: tfl.LayerVariable[]) {
    super.trainableWeights = weights;
  }

  /** Every non-trainable weight (all of them when this layer is frozen). */
  override get nonTrainableWeights(): tfl.LayerVariable[] {
    const children = [this.encoder, this.draw].flatMap((c) =>
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
        `GqnRenderer.call: inputs must be [contextFrames, contextPoses, queryPose], but got ${Array.isArray(inputs) ? `${inputs.length} tensors` : "one tensor"}.`,
      );
    }
    const [frames, poses, query] = inputs as [tf.Tensor5D, tf.Tensor3D, tf.Tensor2D];
    const seed = typeof kwargs.seed === "number" ? kwargs.seed : undefined;
    return this.render(frames, poses, query, seed === undefined ? {} : { seed });
  }

  /**
   * DRAW's conditioning tensor for a batch of scenes: the aggregated representation and the
   * query pose on the core grid.
   *
   * @returns `[B, S/4, S/4, c + 7]`, owned by the caller.
   */
  condition(
    contextFrames: tf.Tensor5D,
    contextPoses: tf.Tensor3D,
    queryPose: tf.Tensor2D,
    training = false,
  ): tf.Tensor4D {
    this.checkBuilt("condition");
    const b = contextFrames.shape[0];
    assertShape(queryPose.shape, [b, GQN_POSE_SIZE], "GqnRenderer", "queryPose");
    return tf.tidy(() => {
      const r = encodeScene(this.encoder, contextFrames, contextPoses, {
        aggregation: this.gqnConfig.aggregation,
        training,
      }); // [B, h, w, c]
      return buildCondition(r, queryPose, this.coreGrid); // [B, S/4, S/4, c + 7]
    });
  }

  /**
   * Renders the query views with the prior (no target seen): the observation head's mean,
   * clipped to [0, 1].
   *
   * @param contextFrames - `[B, K, S, S, 3]`. Borrowed.
   * @param contextPoses - `[B, K, 7]`. Borrowed.
   * @param queryPose - `[B, 7]`. Borrowed.
   * @returns `[B, S, S, 3]`, owned by the caller.
   */
  render(
    contextFrames: tf.Tensor5D,
    contextPoses: tf.Tensor3D,
    queryPose: tf.Tensor2D,
    options: RenderOptions = {},
  ): tf.Tensor4D {
    const samples = options.samples ?? 1;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `GqnRenderer.render: samples must be a positive integer, but got ${samples}.`,
      );
    }
    return tf.tidy(() => {
      const cond = this.condition(contextFrames, contextPoses, queryPose, false);
      let sum: tf.Tensor4D | undefined;
      for (let i = 0; i < samples; i++) {
        // Draw i is seeded as a one-sample render with seed + i * stride would be: far from draw
        // i - 1's step seeds (generate uses seed + step), and never tfjs' "unseeded" 0.
        const seed =
          options.seed === undefined ? undefined : sampleSeed(options.seed + i * SAMPLE_SEED_STRIDE);
        const { mean } = this.draw.generate(cond, {
          ...(seed !== undefined && { seed }),
          ...(options.steps !== undefined && { steps: options.steps }),
        }); // [B, S, S, 3]
        const image = tf.clipByValue(mean, 0, 1) as tf.Tensor4D;
        sum = sum === undefined ? image : (tf.add(sum, image) as tf.Tensor4D);
      }
      return (samples === 1 ? sum : tf.div(sum as tf.Tensor4D, samples)) as tf.Tensor4D;
    });
  }

  /**
   * The negative ELBO of a batch at pixel sigma `sigma`: the target's Gaussian NLL under the
   * posterior-driven canvas, summed over pixels, plus the KL summed over steps and latents, both
   * averaged over the batch, in nats. Differentiable: call it inside an optimizer's closure.
   *
   * @returns scalars owned by the caller.
   */
  lossTerms(batch: GqnBatch, sigma: number, options: LossOptions = {}): ElboTerms {
    const s = this.frameSize;
    const b = batch.contextFrames.shape[0];
    assertShape(batch.target.shape, [b, s, s, 3], "GqnRenderer.lossTerms", "target");
    return tf.tidy(() => {
      const cond = this.condition(
        batch.contextFrames,
        batch.contextPoses,
        batch.queryPose,
        options.training ?? true,
      ); // [B, S/4, S/4, c + 7]
      const { mean, klPerStep } = this.draw.infer(cond, batch.target, {
        ...(options.seed !== undefined && { seed: sampleSeed(options.seed) }),
        ...(options.steps !== undefined && { steps: options.steps }),
      }); // [B, S, S, 3], [B, L]
      return { ...elboTerms(batch.target, mean, klPerStep, sigma) };
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
    return new cls({ ...config, gqn: config.gqn as unknown as GqnConfig }) as T;
  }

  private checkBuilt(where: string): void {
    if (!this.built) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `GqnRenderer.${where}: the layer is not built; create it with GqnModel.create or apply it in a model first.`,
      );
    }
  }
}
tf.serialization.registerClass(GqnRenderer);

// tfjs's random ops treat a seed of 0 as no seed at all: keep every seed we hand on away from 0.

/** `seed + offset` for seed >= 0, `seed - offset` below: never 0 for offset >= 1. */
function awayFromZero(seed: number, offset: number): number {
  return seed >= 0 ? seed + offset : seed - offset;
}

/** DRAW seeds step l with `2(seed + l) + 1`: shift the user's seed so that no step gets 0. */
const SAMPLE_SEED_STRIDE = 1_000_003;

function sampleSeed(seed: number): number {
  return seed >= 0 ? seed + 1 : seed - 2 ** 20;
}
