import { checkInteger, deriveSeed, formatShape, GqnError } from "@gqn/core";
import { type LayerArgs, ScopedLayer } from "@gqn/core/layers";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { SceneEncoder } from "./scene-encoder.js";

/** The GQN camera pose length: `[x, y, z, sin yaw, cos yaw, sin pitch, cos pitch]`. */
export const GQN_POSE_SIZE = 7;

/** Construction arguments every {@link SceneEncoderLayer} accepts (all JSON, stored by `getConfig`). */
export interface SceneEncoderLayerArgs extends LayerArgs {
  /** Height and width of the square input frames, in pixels. */
  frameSize: number;
  /** Pose vector length; default {@link GQN_POSE_SIZE}. */
  poseSize?: number;
  /**
   * Seed of the weight initialisers: the same seed gives the same initial weights. Default:
   * unseeded (tfjs's global random state).
   */
  seed?: number;
}

/** A 2-D convolution's weights, made by {@link SceneEncoderLayer.addConv}. */
export interface ConvWeights {
  /** `[k, k, inChannels, outChannels]`. */
  readonly kernel: tfl.LayerVariable;
  /** `[outChannels]`, or null for a convolution without bias. */
  readonly bias: tfl.LayerVariable | null;
  /** Stride in both directions. */
  readonly stride: number;
  /** `valid` (no padding) or `same` (output size = ceil(input / stride)). */
  readonly padding: "valid" | "same";
}

/** Options of {@link SceneEncoderLayer.addConv}. */
export interface ConvOptions {
  /** Stride; default 1. */
  stride?: number;
  /** Padding; default `same`. */
  padding?: "valid" | "same";
  /** Whether the convolution adds a bias; default true. */
  bias?: boolean;
}

/**
 * The base class of every built-in encoder, and the easiest way to write your own: a
 * tfjs-layers `Layer` that implements {@link SceneEncoder}.
 *
 * A subclass implements three things: `outputShape`, `buildWeights()` (create every weight with
 * `addConv` or `addWeight`; called once, inside the layer's name scope, so weight names come out
 * as `<layer name>/<weight name>`), and `forward(frames, poses)` (the math for a batch
 * of views; it runs inside `tf.tidy`). It must also declare `static className`, register itself
 * with `tfl.serialization.registerClass`, and add its own construction arguments to `getConfig()`.
 *
 * The base class provides the rest: `encode` with shape checks, `call` for functional models
 * (`layer.apply([frames, poses])`), `computeOutputShape`, and serialisation of `frameSize`,
 * `poseSize` and `seed`, so `model.save` -> `tf.loadLayersModel` rebuilds the layer.
 */
export abstract class SceneEncoderLayer extends ScopedLayer implements SceneEncoder {
  /** Height and width of the square input frames, in pixels. */
  readonly frameSize: number;
  /** Pose vector length (7 for GQN poses). */
  readonly poseSize: number;
  /** The initialiser seed, or undefined for unseeded weights. */
  readonly seed: number | undefined;

  constructor(args: SceneEncoderLayerArgs) {
    super(args);
    const where = this.getClassName();
    this.frameSize = checkInteger(args.frameSize, where, "frameSize", { code: "INVALID_CONFIG" });
    this.poseSize = checkInteger(args.poseSize ?? GQN_POSE_SIZE, where, "poseSize", {
      code: "INVALID_CONFIG",
    });
    if (args.seed !== undefined && args.seed !== null) checkSeed(args.seed, where, "seed");
    this.seed = args.seed ?? undefined;
  }

  /** Shape of one view's representation, `[h, w, c]` (without the batch dimension). */
  abstract override get outputShape(): [number, number, number];

  /** Creates the layer's weights. Called once, by `build`. */
  protected abstract buildWeights(): void;

  /**
   * The encoder's math: `[N, H, W, 3]`, `[N, P]` -> `[N, h, w, c]`. Runs inside `tf.tidy`, after
   * the shapes were checked; read weights with `weight.read()`.
   */
  protected abstract forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D;

  /** {@inheritDoc SceneEncoder.encode} */
  encode(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const where = `${this.getClassName()}.encode`;
    this.checkInputShapes(frames.shape, poses.shape, where);
    for (const [what, t] of [
      ["frames", frames],
      ["poses", poses],
    ] as const) {
      // Decoded uint8 or int32 frames would otherwise fail deep inside a conv kernel.
      if (t.dtype !== "float32") {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${where}: ${what} must be float32${what === "frames" ? " (RGB in [0, 1])" : ""}, but got ${t.dtype}.`,
        );
      }
    }
    return this.apply([frames, poses]) as tf.Tensor4D;
  }

  /**
   * Creates the weights for `[[N, H, W, 3], [N, P]]` inputs. Weight names are
   * `<scope>/<layer name>/<weight name>` whether tfjs calls this (inside `apply`, in the layer's
   * name scope) or a containing layer calls it directly from its own `build`.
   */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [frames, poses] = this.splitShapes(inputShape, `${this.getClassName()}.build`);
    this.checkInputShapes(frames, poses, `${this.getClassName()}.build`);
    this.buildWeights();
    this.built = true;
  }

  /** `[[N, H, W, 3], [N, P]]` -> `[N, h, w, c]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [frames, poses] = this.splitShapes(inputShape, `${this.getClassName()}.computeOutputShape`);
    this.checkInputShapes(frames, poses, `${this.getClassName()}.computeOutputShape`);
    return [frames[0] ?? null, ...this.outputShape];
  }

  /** The layer's forward pass on `[frames, poses]`, as tfjs calls it. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${this.getClassName()}.call: inputs must be [frames, poses], but got ${Array.isArray(inputs) ? `${inputs.length} tensors` : "one tensor"}.`,
      );
    }
    const [frames, poses] = inputs as [tf.Tensor4D, tf.Tensor2D];
    this.checkInputShapes(frames.shape, poses.shape, `${this.getClassName()}.call`);
    return tf.tidy(() => this.forward(frames, poses));
  }

  /** The layer config plus `frameSize`, `poseSize` and `seed`; subclasses add their own arguments. */
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      frameSize: this.frameSize,
      poseSize: this.poseSize,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }

  /**
   * Creates a convolution's weights (Glorot-uniform kernel, zero bias: the Keras and tf-gqn
   * defaults) under `<name>/kernel` and `<name>/bias`. Call it from `buildWeights`.
   */
  protected addConv(
    name: string,
    kernelSize: number,
    inChannels: number,
    outChannels: number,
    options: ConvOptions = {},
  ): ConvWeights {
    const seed = this.seed === undefined ? undefined : deriveSeed(this.seed, name);
    const kernel = this.addWeight(
      `${name}/kernel`,
      [kernelSize, kernelSize, inChannels, outChannels],
      "float32",
      tfl.initializers.glorotUniform(seed === undefined ? {} : { seed }),
      undefined,
      true,
    );
    const bias =
      options.bias === false
        ? null
        : this.addWeight(`${name}/bias`, [outChannels], "float32", tfl.initializers.zeros(), undefined, true);
    return { kernel, bias, stride: options.stride ?? 1, padding: options.padding ?? "same" };
  }

  /** Applies a convolution made by {@link addConv}, then `relu` when asked. */
  protected conv(
    x: tf.Tensor4D,
    weights: ConvWeights,
    activation: "relu" | "linear" = "linear",
  ): tf.Tensor4D {
    // One fused kernel (conv + bias + relu) where the backend has it; tfjs unfuses it by itself
    // under a gradient tape when the activation is not linear.
    return tf.fused.conv2d({
      x,
      filter: weights.kernel.read() as tf.Tensor4D,
      strides: weights.stride,
      pad: weights.padding,
      ...(weights.bias && { bias: weights.bias.read() }),
      activation,
    });
  }

  private splitShapes(inputShape: tfl.Shape | tfl.Shape[], where: string): [tfl.Shape, tfl.Shape] {
    const shapes = inputShape as tfl.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: the layer takes two inputs [frames, poses], but got shape ${JSON.stringify(inputShape)}.`,
      );
    }
    return [shapes[0] as tfl.Shape, shapes[1] as tfl.Shape];
  }

  private checkInputShapes(
    frames: readonly (number | null)[],
    poses: readonly (number | null)[],
    where: string,
  ): void {
    const s = this.frameSize;
    checkShape(frames, [null, s, s, 3], where, "frames");
    checkShape(poses, [null, this.poseSize], where, "poses");
    const n = frames[0];
    const m = poses[0];
    if (n !== null && m !== null && n !== undefined && m !== undefined && n !== m) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `${where}: frames and poses must have the same batch size, but got ${n} frames and ${m} poses.`,
      );
    }
  }
}

/** Like `assertShape`, for shapes that may hold null (a symbolic batch dimension), which matches `null` only. */
function checkShape(
  shape: readonly (number | null)[],
  expected: readonly (number | null)[],
  where: string,
  what: string,
) {
  const ok = shape.length === expected.length && expected.every((d, i) => d === null || d === shape[i]);
  if (!ok) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `${where}: ${what} must have shape ${formatShape(expected)}, but got ${formatShape(shape)}.`,
    );
  }
}

function checkSeed(value: unknown, where: string, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: ${what} must be an integer, but got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
