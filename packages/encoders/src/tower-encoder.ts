import { checkInteger, GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { type ConvWeights, SceneEncoderLayer, type SceneEncoderLayerArgs } from "./scene-encoder-layer.js";
import { tilePose } from "./tile-pose.js";

/** Which tower: the paper's figure S1, or ogroth/tf-gqn's (to load that model's weights). */
export type TowerVariant = "paper" | "tf-gqn";

/** Construction arguments of {@link TowerEncoder} (JSON; stored by `getConfig`). */
export interface TowerEncoderArgs extends SceneEncoderLayerArgs {
  /** Output channels c (the paper's 256); default 256. */
  channels?: number;
  /** Channels of the residual branches (the paper's 128); default `channels / 2`, rounded up. */
  hiddenChannels?: number;
  /** Architecture variant; default `paper`. */
  variant?: TowerVariant;
}

/**
 * Where each weight of the `tf-gqn` variant comes from in an ogroth/tf-gqn checkpoint: our conv
 * name -> its `tf.layers.conv2d` name (weights `kernel` and `bias`, HWIO like ours) inside the
 * encoder's variable scope, `TowerEncoder` for its tower and `PoolEncoder` for its pool encoder
 * (the default). tf-gqn creates the convolutions in this order, so TF names them `conv2d`,
 * `conv2d_1`, ...
 */
export const TF_GQN_TOWER_WEIGHT_NAMES: Readonly<Record<string, string>> = {
  conv1: "conv2d",
  skip1: "conv2d_1",
  conv2: "conv2d_2",
  conv3: "conv2d_3",
  skip2: "conv2d_4",
  conv4: "conv2d_5",
  conv5: "conv2d_6",
  conv6: "conv2d_7",
};

type TowerConvs = Record<
  "conv1" | "skip1" | "conv2" | "conv3" | "skip2" | "conv4" | "conv5" | "conv6",
  ConvWeights
>;

/**
 * The Tower representation network (Eslami et al. 2018, figure S1): one view -> a
 * `[frameSize/4, frameSize/4, channels]` representation, the same grid as the DRAW core.
 *
 * Shapes for a 64 px frame, c = channels (256), d = hiddenChannels (128), P = poseSize (7):
 * ```
 * x [N,64,64,3] -> conv k2 s2 c, relu                                       [N,32,32,c]
 * block 1: skip = conv k2 s2 c, relu; main = conv k3 d, relu -> conv k2 s2 c, relu; sum
 *                                                                             [N,16,16,c]
 * concat pose tiled to 16x16                                                 [N,16,16,c+P]
 * block 2: skip = conv k3 c, relu; main = conv k3 d, relu -> conv k3 c, relu; sum
 *                                                                             [N,16,16,c]
 * conv k1 c, relu                                                            [N,16,16,c]
 * ```
 * The `tf-gqn` variant (ogroth/tf-gqn) uses linear 1x1 skips of d channels, the first one at
 * 32x32: conv k2 s2 c, relu; skip1 = conv k1 d; conv k3 d, relu; sum; conv k2 s2 c, relu;
 * concat pose; skip2 = conv k1 d; conv k3 d, relu; sum; conv k3 c, relu; conv k1 c, relu.
 *
 * `frameSize` must be divisible by 4 (two stride-2 convolutions without padding); 32 px gives
 * 8x8, 84 px 21x21, 128 px 32x32: always the core grid `frameSize / 4`.
 */
export class TowerEncoder extends SceneEncoderLayer {
  /** @internal */
  static className = "TowerEncoder";
  /** Output channels c. */
  readonly channels: number;
  /** Channels of the residual branches d. */
  readonly hiddenChannels: number;
  /** The architecture variant. */
  readonly variant: TowerVariant;
  private convs: TowerConvs | undefined;

  constructor(args: TowerEncoderArgs) {
    super(args);
    const where = this.getClassName();
    this.channels = checkInteger(args.channels ?? 256, where, "channels", { code: "INVALID_CONFIG" });
    this.hiddenChannels = checkInteger(
      args.hiddenChannels ?? Math.ceil(this.channels / 2),
      where,
      "hiddenChannels",
      { code: "INVALID_CONFIG" },
    );
    const variant = args.variant ?? "paper";
    if (variant !== "paper" && variant !== "tf-gqn") {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: variant must be "paper" or "tf-gqn", but got ${JSON.stringify(variant)}.`,
      );
    }
    this.variant = variant;
    if (this.frameSize % 4 !== 0) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: frameSize must be divisible by 4 (two stride-2 convolutions map it to the core grid frameSize / 4), but got ${this.frameSize}. Resize the frames (e.g. createSceneBatches({ frameSize })) to a multiple of 4.`,
      );
    }
  }

  /** `[frameSize / 4, frameSize / 4, channels]`. */
  override get outputShape(): [number, number, number] {
    const g = this.frameSize / 4;
    return [g, g, this.channels];
  }

  protected override buildWeights(): void {
    const c = this.channels;
    const d = this.hiddenChannels;
    const p = this.poseSize;
    const s2 = { stride: 2, padding: "valid" } as const;
    // Created in forward order, so a seed gives the same weights as the layer graph reads.
    if (this.variant === "paper") {
      this.convs = {
        conv1: this.addConv("conv1", 2, 3, c, s2),
        skip1: this.addConv("skip1", 2, c, c, s2),
        conv2: this.addConv("conv2", 3, c, d),
        conv3: this.addConv("conv3", 2, d, c, s2),
        skip2: this.addConv("skip2", 3, c + p, c),
        conv4: this.addConv("conv4", 3, c + p, d),
        conv5: this.addConv("conv5", 3, d, c),
        conv6: this.addConv("conv6", 1, c, c),
      };
    } else {
      this.convs = {
        conv1: this.addConv("conv1", 2, 3, c, s2),
        skip1: this.addConv("skip1", 1, c, d),
        conv2: this.addConv("conv2", 3, c, d),
        conv3: this.addConv("conv3", 2, d, c, s2),
        skip2: this.addConv("skip2", 1, c + p, d),
        conv4: this.addConv("conv4", 3, c + p, d),
        conv5: this.addConv("conv5", 3, d, c),
        conv6: this.addConv("conv6", 1, c, c),
      };
    }
  }

  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const w = this.convs as TowerConvs;
    const g = this.frameSize / 4;
    const x = this.conv(frames, w.conv1, "relu"); // [N, 2g, 2g, c]
    let y: tf.Tensor4D;
    if (this.variant === "paper") {
      const skip = this.conv(x, w.skip1, "relu"); // [N, g, g, c]
      const main = this.conv(this.conv(x, w.conv2, "relu"), w.conv3, "relu"); // [N, g, g, c]
      y = tf.add(skip, main) as tf.Tensor4D;
    } else {
      const h = tf.add(this.conv(x, w.skip1), this.conv(x, w.conv2, "relu")) as tf.Tensor4D; // [N, 2g, 2g, d]
      y = this.conv(h, w.conv3, "relu"); // [N, g, g, c]
    }
    const withPose = tf.concat([y, tilePose(poses, g, g)], 3); // [N, g, g, c + P]
    let z: tf.Tensor4D;
    if (this.variant === "paper") {
      const skip = this.conv(withPose, w.skip2, "relu"); // [N, g, g, c]
      const main = this.conv(this.conv(withPose, w.conv4, "relu"), w.conv5, "relu"); // [N, g, g, c]
      z = tf.add(skip, main) as tf.Tensor4D;
    } else {
      const h = tf.add(this.conv(withPose, w.skip2), this.conv(withPose, w.conv4, "relu")) as tf.Tensor4D; // [N, g, g, d]
      z = this.conv(h, w.conv5, "relu"); // [N, g, g, c]
    }
    return this.conv(z, w.conv6, "relu"); // [N, g, g, c]
  }

  /** The base config plus `channels`, `hiddenChannels` and `variant`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      channels: this.channels,
      hiddenChannels: this.hiddenChannels,
      variant: this.variant,
    };
  }
}
tf.serialization.registerClass(TowerEncoder);

/**
 * The Pool representation network: a {@link TowerEncoder} followed by the mean over the grid,
 * `[N, 1, 1, channels]` for any `frameSize` divisible by 4. ogroth/tf-gqn's default encoder
 * (with `variant: "tf-gqn"`). A 1x1 representation is tiled to the core grid by @gqn/model.
 */
export class PoolEncoder extends TowerEncoder {
  /** @internal */
  static override className = "PoolEncoder";

  /** `[1, 1, channels]`. */
  override get outputShape(): [number, number, number] {
    return [1, 1, this.channels];
  }

  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    return tf.mean(super.forward(frames, poses), [1, 2], true); // [N, 1, 1, c]
  }
}
tf.serialization.registerClass(PoolEncoder);
