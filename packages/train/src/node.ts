// Node-only entry (files, CLIs, workers). Re-exports the platform-neutral API too.

export { imageGrid, type RgbImage, toRgbImages } from "./image-grid.js";
export * from "./index.js";
export {
  CHECKPOINTS_DIR,
  checkpointsDir,
  LATEST_FILE,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  removeStaleCheckpointFiles,
  resolveCheckpoint,
  restoreOptimizer,
  type SaveCheckpointOptions,
  saveCheckpoint,
} from "./node/checkpoint.js";
export { layersModelFiles, WEIGHTS_FILE } from "./node/layers-model-files.js";
export {
  encodeGif,
  type OrbitOptions,
  orbitPoses,
  type PriorRenderer,
  renderOrbit,
  type UpAxis,
} from "./node/render.js";
export { type LogRecord, RunLog } from "./node/run-log.js";
export { TensorBoardWriter } from "./node/tensorboard-writer.js";
export { type ProgressValues, TrainProgress, type TrainProgressOptions } from "./node/train-progress.js";
export { encodeFileVersionEvent, encodeSummaryEvent, type SummaryValue } from "./tensorboard-event.js";
