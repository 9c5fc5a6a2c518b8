export { type Aggregation, aggregateViews } from "./aggregate.js";
export type { ContextReader, ContextReads, ContextViews } from "./context-reader.js";
export {
  type BuiltinEncoderType,
  createEncoder,
  type EncoderConfig,
  type EncoderFactory,
  registerEncoderType,
  resolveEncoderConfig,
} from "./create-encoder.js";
export { type EncodeSceneOptions, encodeScene } from "./encode-scene.js";
export {
  EpipolarReader,
  type EpipolarReaderArgs,
  type EpipolarReaderConfig,
  resolveEpipolarReaderConfig,
} from "./epipolar-reader.js";
export { PyramidEncoder, type PyramidEncoderArgs } from "./pyramid-encoder.js";
export type { SceneEncoder } from "./scene-encoder.js";
export {
  type ConvOptions,
  type ConvWeights,
  GQN_POSE_SIZE,
  SceneEncoderLayer,
  type SceneEncoderLayerArgs,
} from "./scene-encoder-layer.js";
export { tilePose } from "./tile-pose.js";
export {
  PoolEncoder,
  TF_GQN_TOWER_WEIGHT_NAMES,
  TowerEncoder,
  type TowerEncoderArgs,
  type TowerVariant,
} from "./tower-encoder.js";
