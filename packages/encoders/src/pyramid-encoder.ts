import { checkInteger, GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { type ConvWeights, SceneEncoderLayer, type SceneEncoderLayerArgs } from "./scene-encoder-layer.js";
import { tilePose } from "./tile-pose.js";

/** Construction arguments of {@link PyramidEncoder} (JSON; stored by `getConfig`). */
export interface PyramidEncoderArgs extends SceneEncoderLayerArgs {
  /** Output channels c (the paper's 256); default 256. */
  channels?: number;
  /**
   * Channels of the three stride-2 convolutions (the paper's 32, 64, 128); default
   * `[c/8, c/4, c/2]`, rounded up.
   */
  hiddenChannels?: readonly [number, number, number];
}

/**
 * The Pyramid representation network (Eslami et al. 2018): the pose tiled over the frame and
 * concatenated with it, then four convolutions down to one cell.
 *
 * Shapes for a 64 px frame, c = channels (256), hidden channels [32, 64, 128], P = poseSize (7):
 * ```
 * concat(x, pose tiled to 64x64)           [N,64,64,3+P]
 * conv k2 s2 32, relu                      [N,32,32,32]
 * conv k2 s2 64, relu                      [N,16,16,64]
 * conv k2 s2 128, relu                     [N,8,8,128]
 * conv k8 s8 c, relu                       [N,1,1,c]
 * ```
 * The last kernel covers the remaining `frameSize / 8` grid, so `frameSize` must be divisible by
 * 8: 32 px uses k4, 128 px k16. 84 px (mazes) is rejected: resize its frames to 80 or 88.
 */
export class PyramidEncoder extends SceneEncoderLayer {
  /** @internal */
  static className = "PyramidEncoder";
  /** Output channels c. */
  readonly channels: number;
  /** Channels of the three stride-2 convolutions. */
  readonly hiddenChannels: readonly [number, number, number];
  private convs: ConvWeights[] = [];

  constructor(args: PyramidEncoderArgs) {
    super(args);
    const where = this.getClassName();
    this.channels = checkInteger(args.channels ?? 256, where, "channels", { code: "INVALID_CONFIG" });
    const c = this.channels;
    const hidden = args.hiddenChannels ?? [Math.ceil(c / 8), Math.ceil(c / 4), Math.ceil(c / 2)];
    if (!Array.isArray(hidden) || hidden.length !== 3) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: hiddenChannels must be three positive integers, but got ${JSON.stringify(hidden)}.`,
      );
    }
    this.hiddenChannels = hidden.map((h) =>
      checkInteger(h, where, "hiddenChannels[i]", { code: "INVALID_CONFIG" }),
    ) as unknown as [number, number, number];
    if (this.frameSize % 8 !== 0) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: frameSize must be divisible by 8 (three stride-2 convolutions, then one kernel over the remaining frameSize / 8 grid), but got ${this.frameSize}. Resize the frames to a multiple of 8, or use the tower or pool encoder.`,
      );
    }
  }

  /** `[1, 1, channels]`. */
  override get outputShape(): [number, number, number] {
    return [1, 1, this.channels];
  }

  protected override buildWeights(): void {
    const [h1, h2, h3] = this.hiddenChannels;
    const s2 = { stride: 2, padding: "valid" } as const;
    const last = this.frameSize / 8;
    this.convs = [
      this.addConv("conv1", 2, 3 + this.poseSize, h1, s2),
      this.addConv("conv2", 2, h1, h2, s2),
      this.addConv("conv3", 2, h2, h3, s2),
      this.addConv("conv4", last, h3, this.channels, { stride: last, padding: "valid" }),
    ];
  }

  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const s = this.frameSize;
    let x: tf.Tensor4D = tf.concat([frames, tilePose(poses, s, s)], 3); // [N, s, s, 3 + P]
    for (const weights of this.convs) x = this.conv(x, weights, "relu"); // ... -> [N, 1, 1, c]
    return x;
  }

  /** The base config plus `channels` and `hiddenChannels`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), channels: this.channels, hiddenChannels: [...this.hiddenChannels] };
  }
}
tf.serialization.registerClass(PyramidEncoder);
