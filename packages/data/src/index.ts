// @gqn/data: bytes -> scenes, knowing no model. This platform-neutral entry runs in Node and in
// browsers (no node: imports here or below): datasets' facts, scene records, cameras to poses and to
// pinhole cameras, scenes in memory to tensors. Files, codecs, workers and batches: `./node.ts`.
//
// Why this room holds over a fifth of the code (~5,300 lines): the GQN datasets come in TensorFlow's
// format, which no npm package reads as training needs (both CRCs, streaming, resumable, a policy for
// corrupt records), so all of it is here, each part used by users of the datasets or by
// @gqn/scenes, @gqn/train and @gqn/eval: the records (TFRecord framing, CRC32C, the protobuf Example,
// scene records, the datasets' facts: ~1,400 lines); the shuffled, resumable batches decoded on
// worker threads, from files or from memory (~1,800); cameras and codecs (~400); the object-mask
// sidecars (~430); and the gqn-data command line that inspects, exports and verifies a download
// (~1,100). That command line is the one piece only a CLI uses; split off, it would be a package
// that depends on this one alone, and `gqn-data` would take a second install.
export {
  checkFov,
  distanceToLine,
  epipolarSegment,
  type PinholeCamera,
  pinholeCamera,
  pixelRay,
  pointAlong,
  projectPoint,
} from "./camera-geometry.js";
export {
  type DatasetInfo,
  datasetDepthRange,
  datasetFovDegrees,
  getDatasetSpec,
  PUBLISHED_DEPTH_RANGES,
  PUBLISHED_FOV_DEGREES,
  type Split,
  shardFileName,
} from "./datasets.js";
export { CorruptRecordError } from "./errors.js";
export { camerasToPoses, cameraToPose } from "./pose.js";
export type { RgbImage } from "./rgb-image.js";
export { decodeSceneRecord, encodeSceneRecord } from "./scene-record.js";
export { type InMemoryScene, scenesToArrays, scenesToTensors } from "./scene-tensors.js";
