import { assertShape, canonicalJson, checkInteger, GqnError } from "@gqn/core";
import type { InferResult } from "@gqn/draw";
import { GQN_POSE_SIZE } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  bitsPerDim,
  type ElboTerms,
  evaluateBatch,
  type InferOptions,
  infer,
  lossTerms,
  psnrFromMse,
  type RenderOptions,
  render,
  represent,
} from "./gqn.js";
import type { GqnBatch } from "./gqn-batch.js";
import { completeGqnConfig, type GqnConfig, resolveGqnConfig } from "./gqn-config.js";
import { GqnLayer } from "./gqn-layer.js";

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

/** Options of {@link GqnModel.evaluate}. */
export interface EvaluateOptions {
  /** Seeds the posterior's and the prior render's latents (each its own, derived). */
  seed?: number;
  /**
   * Return the prior render the MSE was taken on (`render`, owned by the caller), so that other
   * scores of the batch (object scores) use the same sample instead of rendering again.
   */
  keepRender?: boolean;
}

/** {@link GqnModel.evaluate}'s result: the metrics, and the render when asked to keep it. */
export interface EvalResult extends EvalMetrics {
  /** `[B, S, S, 3]`: the prior render the MSE and PSNR score (with `keepRender`). */
  render?: tf.Tensor4D;
}

/**
 * The GQN: the representation network, and conditional DRAW that renders a query view from the
 * representation. Its weights live in one tfjs-layers layer inside a functional model
 * (inputs `context_frames [B,K,S,S,3]`, `context_poses [B,K,7]`, `query_pose [B,7]`; output the
 * prior's rendering `[B,S,S,3]`), so `save` / `tf.loadLayersModel` work as for any Keras model.
 *
 * ```ts
 * const model = GqnModel.create(resolveGqnConfig("tiny"), { seed: 1 });
 * const r = model.represent(frames, poses);                 // [B, 1, 1, 32]: once per scene
 * const image = model.render(r, queryPose, { seed: 7 });     // [B, 32, 32, 3]
 * const { loss } = model.lossTerms(batch, sigma);           // the negative ELBO, to minimise
 * await model.toLayersModel().save(handler);                // later: GqnModel.load(handler)
 * ```
 */
export class GqnModel {
  private disposed = false;

  private constructor(
    /** The layer that holds every weight (internal: this class is the API). */
    private readonly layer: GqnLayer,
    private readonly layersModel: tfl.LayersModel,
    /** The model configuration (resolved: every default filled in). */
    readonly config: GqnConfig,
  ) {}

  /**
   * Builds a new model with fresh weights. The config (from {@link resolveGqnConfig}, or written
   * whole) is validated before any tensor is made.
   *
   * @throws GqnError `INVALID_CONFIG` for an impossible config.
   */
  static create(config: GqnConfig, options: GqnModelOptions = {}): GqnModel {
    requireBackend("GqnModel.create");
    const resolved = completeGqnConfig(config);
    const layer = new GqnLayer({
      gqn: resolved,
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    return new GqnModel(layer, wrap(layer), resolved);
  }

  /**
   * True when `model` holds a GQN (a LayersModel made by {@link GqnModel.toLayersModel}, saved
   * and loaded or not): {@link GqnModel.fromLayersModel} accepts exactly these.
   */
  static isGqnModel(model: tfl.LayersModel): boolean {
    return model.layers.some((l) => l instanceof GqnLayer);
  }

  /**
   * Loads a saved model: `tf.loadLayersModel` on a URL (`.../model.json`) or an IOHandler (in
   * Node, `@gqn/model/node`'s `layersModelFiles(dir)`), then {@link GqnModel.fromLayersModel}.
   */
  static async load(source: string | tf.io.IOHandler, config?: GqnConfig): Promise<GqnModel> {
    requireBackend("GqnModel.load");
    return GqnModel.fromLayersModel(await tfl.loadLayersModel(source), config);
  }

  /**
   * Adopts a LayersModel made by {@link GqnModel.toLayersModel} (for example loaded with
   * `tf.loadLayersModel`). The model keeps its weights; `config`, when given, must describe the
   * same model.
   *
   * @throws GqnError `INVALID_CONFIG` when the model holds no GQN layer, or another config.
   */
  static fromLayersModel(model: tfl.LayersModel, config?: GqnConfig): GqnModel {
    const layer = model.layers.find((l): l is GqnLayer => l instanceof GqnLayer);
    if (!layer) {
      throw new GqnError(
        "INVALID_CONFIG",
        `GqnModel.fromLayersModel: model must contain a GQN layer (a model saved by GqnModel.toLayersModel), but got layers of the classes ${model.layers.map((l) => l.getClassName()).join(", ")}.`,
      );
    }
    if (config !== undefined) {
      const expected = canonicalJson(resolveGqnConfig(config));
      const stored = canonicalJson(layer.gqnConfig);
      if (expected !== stored) {
        throw new GqnError(
          "INVALID_CONFIG",
          `GqnModel.fromLayersModel: config must describe the saved model ${stored}, but got ${expected}.`,
        );
      }
    }
    return new GqnModel(layer, model, layer.gqnConfig);
  }

  /** Every trainable weight, in a fixed order (the optimizer's moments follow it). */
  get trainableWeights(): tfl.LayerVariable[] {
    return this.layer.trainableWeights;
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
   * The scene representation r of each batch element, from its K context views.
   *
   * @param contextFrames - `[B, K, S, S, 3]` in [0, 1]. Borrowed.
   * @param contextPoses - `[B, K, 7]`. Borrowed.
   * @returns `[B, h, w, c]`, owned by the caller: compute it once per scene, render many views.
   */
  represent(contextFrames: tf.Tensor5D, contextPoses: tf.Tensor3D): tf.Tensor4D {
    this.checkAlive("represent");
    return tf.tidy(() => represent(this.layer, contextFrames, contextPoses).r);
  }

  /**
   * Renders the views seen from `queryPose` with DRAW's prior, clipped to [0, 1].
   *
   * @param r - `[B, h, w, c]` from {@link GqnModel.represent}. Borrowed.
   * @param queryPose - `[B, 7]`. Borrowed.
   * @returns `[B, S, S, 3]`, owned by the caller.
   */
  render(r: tf.Tensor4D, queryPose: tf.Tensor2D, options: RenderOptions = {}): tf.Tensor4D {
    this.checkAlive("render");
    checkInteger(options.samples ?? 1, "GqnModel.render", "samples");
    this.checkQuery("GqnModel.render", r, queryPose);
    return render(this.layer, { r }, queryPose, options);
  }

  /**
   * DRAW with the posterior, which sees the target: the mean image and the KL of each step.
   *
   * @returns `mean [B, S, S, 3]` and `klPerStep [B, L]`, owned by the caller.
   */
  infer(
    r: tf.Tensor4D,
    queryPose: tf.Tensor2D,
    target: tf.Tensor4D,
    options: InferOptions = {},
  ): InferResult {
    this.checkAlive("infer");
    this.checkQuery("GqnModel.infer", r, queryPose, target);
    return infer(this.layer, { r }, queryPose, target, options);
  }

  /**
   * The negative ELBO of a batch at pixel sigma `sigma` (the target's NLL plus the KL summed over
   * steps, batch means, nats). Differentiable: call it inside an optimizer's closure;
   * `@gqn/train`'s trainer does.
   *
   * @returns scalars owned by the caller.
   */
  lossTerms(batch: GqnBatch, sigma: number, options: InferOptions = {}): ElboTerms {
    this.checkAlive("lossTerms");
    return tf.tidy(() => {
      const rep = represent(this.layer, batch.contextFrames, batch.contextPoses); // r [B, h, w, c]
      this.checkQuery("GqnModel.lossTerms", rep.r, batch.queryPose, batch.target);
      return { ...lossTerms(this.layer, rep, batch, sigma, options) }; // a TensorContainer for tidy
    });
  }

  /**
   * Test metrics of one batch: the negative ELBO and its terms (posterior), and the MSE / PSNR of
   * one prior rendering against the target, all from one representation.
   */
  async evaluate(batch: GqnBatch, sigma: number, options: EvaluateOptions = {}): Promise<EvalResult> {
    this.checkAlive("evaluate");
    this.checkQuery("GqnModel.evaluate", batch.contextFrames, batch.queryPose, batch.target);
    const { render: image, ...scalars } = evaluateBatch(this.layer, batch, sigma, options.seed);
    const names = ["loss", "nll", "kl", "mse"] as const;
    // One read of the four scalars (each read waits on the backend), taken apart by name.
    const packed = tf.stack(names.map((name) => scalars[name]));
    const values = await packed.data();
    tf.dispose([packed, scalars]);
    const value = (name: (typeof names)[number]) => values[names.indexOf(name)] ?? Number.NaN;
    const [, h, w, c] = batch.target.shape;
    const metrics: EvalMetrics = {
      elbo: value("loss"),
      nll: value("nll"),
      kl: value("kl"),
      bitsPerDim: bitsPerDim(value("loss"), h * w * c),
      mse: value("mse"),
      psnr: psnrFromMse(value("mse")),
    };
    if (options.keepRender) return { ...metrics, render: image };
    image.dispose();
    return metrics;
  }

  /** Frees every weight. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.layersModel.dispose();
  }

  /** Checks the query pose (and target) against the batch of `r`, naming the method called. */
  private checkQuery(
    where: string,
    r: { readonly shape: readonly number[] },
    queryPose: tf.Tensor2D,
    target?: tf.Tensor4D,
  ): void {
    const b = r.shape[0] as number;
    assertShape(queryPose.shape, [b, GQN_POSE_SIZE], where, "queryPose");
    const s = this.config.frameSize;
    if (target) assertShape(target.shape, [b, s, s, 3], where, "target");
  }

  private checkAlive(where: string): void {
    if (this.disposed) {
      throw new GqnError("INVALID_ARGUMENT", `GqnModel.${where}: the model was disposed.`);
    }
  }
}

/** The layer inside a functional model (building it in the model's name scope). */
function wrap(layer: GqnLayer): tfl.LayersModel {
  const s = layer.frameSize;
  const frames = tfl.input({ shape: [null, s, s, 3], name: "context_frames" });
  const poses = tfl.input({ shape: [null, GQN_POSE_SIZE], name: "context_poses" });
  const query = tfl.input({ shape: [GQN_POSE_SIZE], name: "query_pose" });
  const image = layer.apply([frames, poses, query]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [frames, poses, query], outputs: image, name: "gqn_model" });
}

/**
 * A tfjs backend must be registered before a model holds weights: without one, tfjs fails deep
 * inside with "No backend found in registry". This says what to install instead.
 */
function requireBackend(where: string): void {
  try {
    // Initialises the best registered backend, as the first op would.
    void tf.engine().backend;
  } catch (error) {
    // Only an empty registry gets our message: tfjs' own (an async backend not awaited) is clear.
    if (Object.keys(tf.engine().registryFactory).length > 0) throw error;
    throw new GqnError(
      "BACKEND_UNAVAILABLE",
      `${where}: no tfjs backend is registered. Install one and register it before building a model: in Node, npm install @gqn/backend @tensorflow/tfjs-backend-wasm, then await initBackend() from @gqn/backend; in a browser, import "@tensorflow/tfjs-backend-webgl" (or -wasm, -webgpu).`,
      { cause: error },
    );
  }
}
