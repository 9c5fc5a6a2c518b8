// Platform-neutral entry: runs in Node and in browsers (no node: imports here or below).
export {
  checkFov,
  distanceToLine,
  epipolarSegment,
  type ImagePoint,
  type PinholeCamera,
  pinholeCamera,
  pixelRay,
  pointAlong,
  projectPoint,
  type Ray,
  type Vec3,
} from "./camera-geometry.js";
export { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from "./crc32c.js";
export {
  DATASETS,
  type DatasetInfo,
  type DatasetSpec,
  datasetDepthRange,
  datasetFileNames,
  datasetFovDegrees,
  getDatasetSpec,
  PUBLISHED_DEPTH_RANGES,
  PUBLISHED_FOV_DEGREES,
  type Split,
  shardFileName,
} from "./datasets.js";
export { CorruptRecordError, type RecordLocation } from "./errors.js";
export { decodeExample, encodeExample, type Feature, type Features } from "./example.js";
export { type JpegInfo, readJpegInfo } from "./jpeg-info.js";
export { camerasToPoses, cameraToPose } from "./pose.js";
export type { RgbImage } from "./rgb-image.js";
export {
  type DecodeSceneRecordOptions,
  decodeSceneRecord,
  encodeSceneRecord,
  type SceneRecord,
} from "./scene-record.js";
export {
  type InMemoryScene,
  type SceneArrays,
  type SceneFrame,
  type SceneTensorOptions,
  type SceneTensors,
  type SceneViews,
  scenesToArrays,
  scenesToTensors,
} from "./scene-tensors.js";
export { frameTFRecord, TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from "./tfrecord-framing.js";
export {
  type OnCorrupt,
  type ParsedRecord,
  parseTFRecords,
  type SkippedRecord,
  type TFRecordParseOptions,
  TFRecordParser,
} from "./tfrecord-parser.js";
