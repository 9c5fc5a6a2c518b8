// Node-only entry (files, CLIs, workers). Re-exports the platform-neutral API too.

export * from "./index.js";
export {
  checkpointsDir,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  removeStaleCheckpointFiles,
  resolveCheckpoint,
  type SaveCheckpointOptions,
  saveCheckpoint,
} from "./node/checkpoint.js";
export { type CliIo, countOrRange } from "./node/cli-support.js";
export {
  type EvaluateCheckpointOptions,
  type EvaluationReport,
  evaluateCheckpoint,
} from "./node/evaluate-checkpoint.js";
export type { ModelConfig } from "./node/gqn-factory.js";
export {
  buildReplica,
  type ElboMetricName,
  type GqnReplicaConfig,
  gqnReplica,
  gqnReplicaModule,
} from "./node/gqn-replica.js";
export {
  type RenderCheckpointOptions,
  type RenderResult,
  renderCheckpoint,
} from "./node/render-checkpoint.js";
export { formatReport, runEvalCli } from "./node/run-eval-cli.js";
export { type LogRecord, RunLog } from "./node/run-log.js";
export { runRenderCli } from "./node/run-render-cli.js";
export { runTrainCli } from "./node/run-train-cli.js";
export {
  type BaselineName,
  type BaselineRecord,
  type CameraOptics,
  cameraOptics,
  type DatasetRef,
  disposeFirstBatch,
  meanTrainingImage,
  type QueryScores,
  type RenderQueries,
  type Score,
  type ScoreQueriesOptions,
  scoreQueries,
} from "./node/score-queries.js";
export { type SignalStop, stopOnSignals } from "./node/stop-on-signals.js";
export { TensorBoardWriter } from "./node/tensorboard-writer.js";
export {
  type StopReason,
  type TrainOptions,
  type TrainResult,
  type TrainState,
  train,
} from "./node/train.js";
export type { DirectoryTrainData, InMemoryTrainData, TrainData } from "./node/train-data.js";
export type { TrainRunOptions } from "./node/train-options.js";
export { type ProgressValues, TrainProgress, type TrainProgressOptions } from "./node/train-progress.js";
export {
  encodeFileVersionEvent,
  encodeSessionStartEvent,
  encodeSummaryEvent,
  type SummaryValue,
} from "./tensorboard-event.js";
