import { checkInteger, GqnError } from "@gqn/core";
import {
  type ConvWeights,
  registerEncoderType,
  SceneEncoderLayer,
  type SceneEncoderLayerArgs,
  tilePose,
} from "@gqn/encoders";
import * as tf from "@tensorflow/tfjs-core";

/** Construction arguments of {@link PatchEncoder}: JSON only, so `getConfig` can store them. */
export interface PatchEncoderArgs extends SceneEncoderLayerArgs {
  /** Output channels c; default 64. */
  channels?: number;
  /** Width of the per-patch MLP; default 2c. */
  mlpChannels?: number;
}

/**
 * A patch encoder in the style of a vision transformer's stem, without attention: cut the frame
 * into 4x4 patches and embed each (one k4 s4 convolution), append the pose to every patch, then a
 * residual two-layer MLP per patch (1x1 convolutions). Its grid is `frameSize / 4`, the DRAW core
 * grid, like the Tower's, so it drops into the model in place of one.
 *
 * ```
 * x [N,S,S,3] -> conv k4 s4 c                       [N,S/4,S/4,c]   (patch embedding e)
 * concat pose tiled                                 [N,S/4,S/4,c+P]
 * conv k1 m, relu -> conv k1 c                      [N,S/4,S/4,c]   (MLP)
 * relu(e + MLP)                                     [N,S/4,S/4,c]
 * ```
 */
export class PatchEncoder extends SceneEncoderLayer {
  /** The name tfjs stores in model.json; must be unique among registered classes. */
  static className = "PatchEncoder";
  readonly channels: number;
  readonly mlpChannels: number;
  private weightsByName: Record<"embed" | "mlp1" | "mlp2", ConvWeights> | undefined;

  constructor(args: PatchEncoderArgs) {
    super(args); // checks frameSize, poseSize and seed
    this.channels = checkInteger(args.channels ?? 64, "PatchEncoder", "channels", { code: "INVALID_CONFIG" });
    this.mlpChannels = checkInteger(args.mlpChannels ?? 2 * this.channels, "PatchEncoder", "mlpChannels", {
      code: "INVALID_CONFIG",
    });
    if (this.frameSize % 4 !== 0) {
      throw new GqnError(
        "INVALID_CONFIG",
        `PatchEncoder: frameSize must be divisible by 4, but got ${this.frameSize}.`,
      );
    }
  }

  override get outputShape(): [number, number, number] {
    return [this.frameSize / 4, this.frameSize / 4, this.channels];
  }

  protected override buildWeights(): void {
    const c = this.channels;
    this.weightsByName = {
      embed: this.addConv("embed", 4, 3, c, { stride: 4, padding: "valid" }),
      mlp1: this.addConv("mlp1", 1, c + this.poseSize, this.mlpChannels),
      mlp2: this.addConv("mlp2", 1, this.mlpChannels, c),
    };
  }

  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const w = this.weightsByName as NonNullable<typeof this.weightsByName>;
    const g = this.frameSize / 4;
    const e = this.conv(frames, w.embed); // [N, g, g, c]
    const withPose = tf.concat([e, tilePose(poses, g, g)], 3) as tf.Tensor4D; // [N, g, g, c + P]
    const mlp = this.conv(this.conv(withPose, w.mlp1, "relu"), w.mlp2); // [N, g, g, c]
    return tf.relu(tf.add(e, mlp)) as tf.Tensor4D; // [N, g, g, c]
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), channels: this.channels, mlpChannels: this.mlpChannels };
  }
}
// Lets tf.loadLayersModel rebuild the layer from model.json.
tf.serialization.registerClass(PatchEncoder);
// Lets createEncoder({ type: "patch", ... }), and so @gqn/train's configs and checkpoints, name it.
registerEncoderType(
  "patch",
  (config) =>
    new PatchEncoder({
      frameSize: config.frameSize,
      ...(config.channels !== undefined && { channels: config.channels }),
      ...(config.poseSize !== undefined && { poseSize: config.poseSize }),
      ...(config.seed !== undefined && { seed: config.seed }),
      ...(config.name !== undefined && { name: config.name }),
    }),
);
