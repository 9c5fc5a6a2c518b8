// Node-only entry (file system, codecs, workers). Re-exports the platform-neutral API too.

export {
  type ContextSize,
  createSceneBatches,
  type DirectorySceneBatchOptions,
  type SceneBatch,
  type SceneBatchIterator,
  type SceneBatchOptions,
  type SceneBatchState,
} from "./create-scene-batches.js";
export { type ListDatasetFilesOptions, listDatasetFiles, readDatasetInfo } from "./dataset-files.js";
export {
  drawEpipolarFigure,
  type EpipolarFigure,
  type EpipolarFigureInputs,
  type EpipolarFigureOptions,
  type FigureView,
  writeEpipolarFigure,
} from "./epipolar-figure.js";
export { fastCrc32c } from "./fast-crc32c.js";
export { encodeGif } from "./gif.js";
export {
  type InMemorySceneBatchOptions,
  inMemoryDatasetInfo,
  peekScene,
  type SceneIterable,
} from "./in-memory-scene-batches.js";
export * from "./index.js";
export { decodeJpeg, encodeJpeg, encodePng } from "./jpeg.js";
export {
  encodeObjectMaskFile,
  OBJECT_MASKS_FORMAT,
  ObjectMaskFile,
  ObjectMasks,
  type ObjectMasksEntry,
  type ObjectMaskView,
  objectMaskFileName,
  type QueryObjectMasks,
} from "./object-masks.js";
export {
  compressionOfName,
  indexTFRecords,
  type ReadTFRecordAtOptions,
  type ReadTFRecordsOptions,
  readTFRecordAt,
  readTFRecordEntries,
  readTFRecords,
  type TFRecordCompression,
  type TFRecordIndex,
  type TFRecordStream,
} from "./read-tfrecords.js";
export { type CliStream, type DataCliIo, runDataCli } from "./run-data-cli.js";
export type { SceneLocator, SceneSourceState } from "./scene-source.js";
export { TFRecordWriter, type TFRecordWriterOptions } from "./tfrecord-writer.js";
