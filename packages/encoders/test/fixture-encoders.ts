// Small SceneEncoderLayer subclasses for the tests: one that keeps the contract, and one broken
// way per clause, to show that each check of the contract suite can fail.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { type ConvWeights, SceneEncoderLayer, type SceneEncoderLayerArgs, tilePose } from "../src/index.js";

/** A valid two-convolution encoder: image and tiled pose -> [frameSize/4, frameSize/4, 4]. */
export class TinyEncoder extends SceneEncoderLayer {
  static className = "TinyEncoder";
  protected convs: ConvWeights[] = [];

  constructor(args: SceneEncoderLayerArgs) {
    super(args);
  }

  override get outputShape(): [number, number, number] {
    return [this.frameSize / 4, this.frameSize / 4, 4];
  }

  protected override buildWeights(): void {
    this.convs = [
      this.addConv("conv1", 4, 3 + this.poseSize, 4, { stride: 4, padding: "valid" }),
      this.addConv("conv2", 1, 4, 4),
    ];
  }

  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const s = this.frameSize;
    const x = tf.concat([frames, tilePose(poses, s, s)], 3) as tf.Tensor4D;
    return this.conv(tf.tanh(this.conv(x, this.convs[0] as ConvWeights)), this.convs[1] as ConvWeights);
  }
}
tf.serialization.registerClass(TinyEncoder);

/** Breaks "views are independent": subtracts the batch mean. */
export class BatchMixingEncoder extends TinyEncoder {
  static override className = "BatchMixingEncoder";
  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    const y = super.forward(frames, poses);
    return tf.sub(y, tf.mean(y, 0, true));
  }
}
tf.serialization.registerClass(BatchMixingEncoder);

/** Breaks "every weight gets a gradient": creates a weight it never reads. */
export class UnusedWeightEncoder extends TinyEncoder {
  static override className = "UnusedWeightEncoder";
  protected override buildWeights(): void {
    super.buildWeights();
    this.addConv("unused", 1, 4, 4);
  }
}
tf.serialization.registerClass(UnusedWeightEncoder);

/** Breaks "no leaks": keeps one tensor per call outside any tidy. */
export class LeakyEncoder extends TinyEncoder {
  static override className = "LeakyEncoder";
  readonly kept: tf.Tensor[] = [];
  override encode(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    this.kept.push(tf.keep(tf.zeros([1])));
    return super.encode(frames, poses);
  }
}
tf.serialization.registerClass(LeakyEncoder);

/** Breaks "depends on the pose": ignores it. */
export class PoseBlindEncoder extends TinyEncoder {
  static override className = "PoseBlindEncoder";
  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    return super.forward(frames, tf.zerosLike(poses));
  }
}
tf.serialization.registerClass(PoseBlindEncoder);

/** Breaks "save -> load": never registered for serialisation. */
export class UnregisteredEncoder extends TinyEncoder {
  static override className = "UnregisteredEncoder";
}

/** Breaks "output shape": declares more channels than it returns. */
export class WrongShapeEncoder extends TinyEncoder {
  static override className = "WrongShapeEncoder";
  override get outputShape(): [number, number, number] {
    return [this.frameSize / 4, this.frameSize / 4, 5];
  }
}
tf.serialization.registerClass(WrongShapeEncoder);

/** Valid, with a weight made by addWeight directly (not addConv): a learned output scale. */
export class ScaledEncoder extends TinyEncoder {
  static override className = "ScaledEncoder";
  private scale: tfl.LayerVariable | undefined;
  protected override buildWeights(): void {
    super.buildWeights();
    this.scale = this.addWeight("scale", [4], "float32", tfl.initializers.ones(), undefined, true);
  }
  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    return tf.mul(super.forward(frames, poses), (this.scale as tfl.LayerVariable).read()) as tf.Tensor4D;
  }
}
tf.serialization.registerClass(ScaledEncoder);

/** Breaks "core grid": a 2x2 output at 16 px (the core grid is 4x4). */
export class OffGridEncoder extends TinyEncoder {
  static override className = "OffGridEncoder";
  override get outputShape(): [number, number, number] {
    return [2, 2, 4];
  }
  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    return tf.avgPool(super.forward(frames, poses), 2, 2, "valid");
  }
}
tf.serialization.registerClass(OffGridEncoder);

/** Breaks "save -> load": inherits TinyEncoder's className, so it would load as a TinyEncoder. */
export class NamelessEncoder extends TinyEncoder {
  protected override forward(frames: tf.Tensor4D, poses: tf.Tensor2D): tf.Tensor4D {
    return tf.neg(super.forward(frames, poses));
  }
}
