// A stand-in for @gqn/train's GQN layer: a layer that owns an encoder built from an
// EncoderConfig, aggregates K views with encodeScene and adds a head with weights of its own.
// It follows the cross-package contract: sub-layers built in build(), their weights reported by
// the trainableWeights getter, the encoder config stored in getConfig.
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import {
  type Aggregation,
  createEncoder,
  type EncoderConfig,
  encodeScene,
  type SceneEncoderLayer,
} from "../src/index.js";

export interface SceneModelArgs {
  encoder: EncoderConfig;
  views: number;
  aggregation?: Aggregation;
  name?: string;
}

export class SceneModel extends tfl.layers.Layer {
  static className = "TestSceneModel";
  readonly encoder: SceneEncoderLayer;
  readonly encoderConfig: EncoderConfig;
  readonly views: number;
  readonly aggregation: Aggregation;
  private head: tfl.LayerVariable | undefined;

  constructor(args: SceneModelArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.encoderConfig = args.encoder;
    // A fixed name: weight names must be the same when the model is rebuilt at load time.
    this.encoder = createEncoder({ ...args.encoder, name: args.encoder.name ?? "encoder" });
    this.views = args.views;
    this.aggregation = args.aggregation ?? "sum";
  }

  override build(): void {
    const s = this.encoder.frameSize;
    this.encoder.build([
      [null, s, s, 3],
      [null, this.encoder.poseSize],
    ]);
    const c = this.encoder.outputShape[2];
    this.head = this.addWeight(
      "head/kernel",
      [1, 1, c, 3],
      "float32",
      tfl.initializers.glorotUniform({ seed: 1 }),
    );
    this.built = true;
  }

  override get trainableWeights(): tfl.LayerVariable[] {
    return [...this.encoder.trainableWeights, ...super.trainableWeights];
  }

  override get nonTrainableWeights(): tfl.LayerVariable[] {
    return [...this.encoder.nonTrainableWeights, ...super.nonTrainableWeights];
  }

  override computeOutputShape(inputShape: tfl.Shape[]): tfl.Shape {
    const [h, w] = this.encoder.outputShape;
    return [inputShape[0]?.[0] ?? null, h, w, 3];
  }

  override call(inputs: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [frames, poses] = inputs as [tf.Tensor5D, tf.Tensor3D];
      const r = encodeScene(this.encoder, frames, poses, { aggregation: this.aggregation }); // [B, h, w, c]
      return tf.conv2d(r, (this.head as tfl.LayerVariable).read() as tf.Tensor4D, 1, "same"); // [B, h, w, 3]
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      encoder: { ...this.encoderConfig } as unknown as tf.serialization.ConfigDict,
      views: this.views,
      aggregation: this.aggregation,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({ ...config, encoder: config.encoder as unknown as EncoderConfig }) as T;
  }
}
tf.serialization.registerClass(SceneModel);
