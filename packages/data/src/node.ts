// Node-only entry: files, codecs, worker threads, batches and the gqn-data command line. The
// platform-neutral names (records, datasets' facts, poses, cameras, CorruptRecordError) are the
// root entry's, imported from "@gqn/data".
export {
  type ContextSize,
  createSceneBatches,
  type SceneBatch,
  type SceneBatchIterator,
  type SceneBatchState,
} from "./create-scene-batches.js";
export { listDatasetFiles, readDatasetInfo } from "./dataset-files.js";
export { encodeGif } from "./gif.js";
export { inMemoryDatasetInfo, peekScene, type SceneIterable } from "./in-memory-scene-batches.js";
export { decodeJpeg, encodeJpeg, encodePng } from "./jpeg.js";
export {
  encodeObjectMaskFile,
  OBJECT_MASKS_FORMAT,
  ObjectMaskFile,
  ObjectMasks,
  type ObjectMasksEntry,
  type ObjectMaskView,
  objectMaskFileName,
  objectMaskRecordKey,
} from "./object-masks.js";
export { readTFRecords } from "./read-tfrecords.js";
export { runDataCli } from "./run-data-cli.js";
export { TFRecordWriter } from "./tfrecord-writer.js";
