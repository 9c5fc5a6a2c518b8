import { GqnError } from "@gqn/core";
import { GQN_POSE_SIZE } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { bitsPerDim, type ElboTerms, imageMse, psnrFromMse } from "./elbo.js";
import type { GqnBatch } from "./gqn-batch.js";
import { type GqnConfig, resolveGqnConfig, validateGqnConfig } from "./gqn-config.js";
import { GqnRenderer, type LossOptions, type RenderOptions } from "./gqn-renderer.js";

/** Options of {@link GqnModel.create}. */
export interface GqnModelOptions {
  /** Seed of the weight initialisers: the same config and seed give the same initial weights. */
  seed?: number;
}

/**
 * What {@link GqnModel.evaluate} measures on one batch (plain numbers). `elbo` is the negative
 * ELBO (the training loss, nats per image: lower is better), `nll` and `kl` its two terms,
 * `bitsPerDim` the negative ELBO per pixel channel in bits; `mse` and `psnr` (dB, of the batch's
 * mean MSE) compare the prior's rendering (no target seen) with the target.
 */
export interface EvalMetrics {
  elbo: number;
  nll: number;
  kl: number;
  bitsPerDim: number;
  mse: number;
  psnr: number;
}

/**
 * A GQN ready to train, render, save and load: a {@link GqnRenderer} layer inside a functional
 * `tfl.LayersModel` (inputs `context_frames [B,K,S,S,3]`, `context_poses [B,K,7]`,
 * `query_pose [B,7]`; output the rendered query view `[B,S,S,3]`).
 *
 * ```ts
 * const model = GqnModel.create(resolveGqnConfig("tiny"), { seed: 1 });
 * const image = model.render(frames, poses, query, { seed: 7 }); // [B, 32, 32, 3]
 * await model.toLayersModel().save("file://out"); // then tf.loadLayersModel + GqnModel.fromLayersModel
 * ```
 */
export class GqnModel {
  private disposed = false;

  private constructor(
    /** The layer that holds every weight. */
    readonly renderer: GqnRenderer,
    private readonly layersModel: tfl.LayersModel,
    /** The model configuration (resolved: every default filled in). */
    readonly config: GqnConfig,
  ) {}

  /**
   * Builds a new model with fresh weights. The config is validated before any tensor is made.
   *
   * @throws GqnError `INVALID_CONFIG` for an impossible config.
   */
  static create(config: GqnConfig, options: GqnModelOptions = {}): GqnModel {
    validateGqnConfig(config);
    const resolved = resolveGqnConfig(config);
    const renderer = new GqnRenderer({
      gqn: resolved,
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    return new GqnModel(renderer, wrap(renderer), resolved);
  }

  /**
   * Adopts a LayersModel made by {@link GqnModel.toLayersModel} (for example loaded with
   * `tf.loadLayersModel` after `import "@gqn/train"`). The model keeps its weights; `config`,
   * when given, must describe the same model.
   *
   * @throws GqnError `INVALID_CONFIG` when the model holds no GqnRenderer, or another config.
   */
  static fromLayersModel(model: tfl.LayersModel, config?: GqnConfig): GqnModel {
    const renderer = model.layers.find((l): l is GqnRenderer => l instanceof GqnRenderer);
    if (!renderer) {
      throw new GqnError(
        "INVALID_CONFIG",
        `GqnModel.fromLayersModel: model must contain a GqnRenderer layer, but got layers ${model.layers.map((l) => l.getClassName()).join(", ")}.`,
      );
    }
    if (config !== undefined) {
      const expected = JSON.stringify(canonical(resolveGqnConfig(config)));
      const stored = JSON.stringify(canonical(renderer.gqnConfig));
      if (expected !== stored) {
        throw new GqnError(
          "INVALID_CONFIG",
          `GqnModel.fromLayersModel: config must describe the saved model ${stored}, but got ${expected}.`,
        );
      }
    }
    return new GqnModel(renderer, model, renderer.gqnConfig);
  }

  /** Every trainable weight, in a fixed order (the optimizer's moments follow it). */
  get trainableWeights(): tfl.LayerVariable[] {
    return this.renderer.trainableWeights;
  }

  /** The number of trainable parameters. */
  countParams(): number {
    return this.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  }

  /**
   * The functional LayersModel that holds this model's weights (the same variables, not a
   * copy): `model.save(...)` writes `model.json` + weights that `tf.loadLayersModel` restores.
   */
  toLayersModel(): tfl.LayersModel {
    this.checkAlive("toLayersModel");
    return this.layersModel;
  }

  /**
   * The negative ELBO terms of a batch at pixel sigma `sigma` (batch means, nats). Call it inside
   * an optimizer closure; {@link createTrainer} does.
   *
   * @returns scalars owned by the caller.
   */
  lossTerms(batch: GqnBatch, sigma: number, options: LossOptions = {}): ElboTerms {
    this.checkAlive("lossTerms");
    return this.renderer.lossTerms(batch, sigma, options);
  }

  /**
   * Renders the query views from the context with the prior, clipped to [0, 1].
   *
   * @returns `[B, S, S, 3]`, owned by the caller.
   */
  render(
    contextFrames: tf.Tensor5D,
    contextPoses: tf.Tensor3D,
    queryPose: tf.Tensor2D,
    options: RenderOptions = {},
  ): tf.Tensor4D {
    this.checkAlive("render");
    return this.renderer.render(contextFrames, contextPoses, queryPose, options);
  }

  /**
   * Test metrics of one batch: the negative ELBO and its terms (posterior, encoder in inference
   * mode), and the MSE / PSNR of the prior's rendering against the target.
   */
  async evaluate(batch: GqnBatch, sigma: number, options: { seed?: number } = {}): Promise<EvalMetrics> {
    this.checkAlive("evaluate");
    const seed = options.seed;
    const packed = tf.tidy(() => {
      const terms = this.renderer.lossTerms(batch, sigma, {
        training: false,
        ...(seed !== undefined && { seed }),
      });
      const image = this.renderer.render(
        batch.contextFrames,
        batch.contextPoses,
        batch.queryPose,
        seed === undefined ? {} : { seed: seed + 1 },
      ); // [B, S, S, 3]
      const mse = tf.mean(imageMse(batch.target, image));
      return tf.stack([terms.loss, terms.nll, terms.kl, mse]); // [4]
    });
    const [elbo = Number.NaN, nll = Number.NaN, kl = Number.NaN, mse = Number.NaN] = await packed.data();
    packed.dispose();
    const [, h, w, c] = batch.target.shape;
    return { elbo, nll, kl, bitsPerDim: bitsPerDim(elbo, h * w * c), mse, psnr: psnrFromMse(mse) };
  }

  /** Frees every weight. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.layersModel.dispose();
  }

  private checkAlive(where: string): void {
    if (this.disposed) {
      throw new GqnError("INVALID_ARGUMENT", `GqnModel.${where}: the model was disposed.`);
    }
  }
}

/** The renderer inside a functional model (building it in the model's name scope). */
function wrap(renderer: GqnRenderer): tfl.LayersModel {
  const s = renderer.frameSize;
  const frames = tfl.input({ shape: [null, s, s, 3], name: "context_frames" });
  const poses = tfl.input({ shape: [null, GQN_POSE_SIZE], name: "context_poses" });
  const query = tfl.input({ shape: [GQN_POSE_SIZE], name: "query_pose" });
  const image = renderer.apply([frames, poses, query]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [frames, poses, query], outputs: image, name: "gqn_model" });
}

/** A config with sorted keys and no undefined fields, for comparison. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
