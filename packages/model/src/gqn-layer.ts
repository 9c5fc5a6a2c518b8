import { deriveSeed, GqnError } from "@gqn/core";
import type { Kwargs, LayerArgs } from "@gqn/core/layers";
import { Draw, resolveDrawConfig } from "@gqn/draw";
import { createEncoder, EpipolarReader, GQN_POSE_SIZE, type SceneEncoderLayer } from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { coreGrid, type GqnParts, render, represent } from "./gqn.js";
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

/**
 * The whole GQN's weights as one tfjs-layers `Layer`: the representation network, conditional
 * DRAW with its observation head, and the epipolar reader in a model with one. The math they run
 * is `gqn.ts`'s functions, of which this layer is the {@link GqnParts}.
 *
 * As a layer (`apply` / `predict` on `[frames [B,K,S,S,3], poses [B,K,7], query [B,7]]`) it
 * returns the prior's rendering clipped to [0, 1] (unseeded). Weights are named
 * `<layer name>/encoder/...`, `<layer name>/draw/...` and `<layer name>/reader/...`, so
 * `model.save` -> `tf.loadLayersModel` restores them (importing `@gqn/model` registers the class).
 *
 * Internal: users hold a {@link GqnModel}, which checks their inputs; the layer checks only what
 * reaches it through tfjs (`apply` / `predict`).
 */
export class GqnLayer extends tfl.layers.Layer implements GqnParts {
  /** @internal The class name saved models carry (those of 0.0.0 carry "GqnRenderer": see below). */
  static className = "GqnLayer";
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

  /** Channels of the conditioning tensor: the representation's, the pose's and the reader's. */
  get conditionChannels(): number {
    return this.encoder.outputShape[2] + GQN_POSE_SIZE + (this.reader?.conditionChannels ?? 0);
  }

  /** Builds the encoder and DRAW (their weights are named under this layer's scope). */
  override build(_inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = this.frameSize;
    const g = coreGrid(this);
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
    return tf.tidy(() =>
      render(this, represent(this, frames, poses), query, seed === undefined ? {} : { seed }),
    );
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

/**
 * Models saved by 0.0.0 name the layer's class "GqnRenderer" (its name when it lived in
 * `@gqn/train`): they load as a GqnLayer, and save again under the one name.
 */
class SavedAsGqnRenderer extends GqnLayer {
  static override className = "GqnRenderer";

  override getClassName(): string {
    return GqnLayer.className;
  }
}
tf.serialization.registerClass(SavedAsGqnRenderer);
