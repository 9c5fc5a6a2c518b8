// Node-only entry: what is done with a trained model on disk. Reading a run's checkpoints,
// loading the model (the one way gqn-eval, gqn-render and gqn-train --init-from do it), scoring
// it on a dataset split (gqn-eval) and rendering test scenes and orbits (gqn-render). Re-exports
// the platform-neutral API too.
export * from "./index.js";
export { dataMismatchNotes, dataNotes } from "./node/data-notes.js";
export {
  type EvaluateCheckpointOptions,
  type EvaluationReport,
  evaluateCheckpoint,
} from "./node/evaluate-checkpoint.js";
export {
  CHECKPOINT_FILES,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
} from "./node/load-checkpoint.js";
export { loadTrainedModel, type TrainedModel } from "./node/load-trained-model.js";
export { QueryObjectScores } from "./node/query-object-scores.js";
export {
  type RenderCheckpointOptions,
  type RenderResult,
  renderCheckpoint,
} from "./node/render-checkpoint.js";
export { formatReport } from "./node/run-eval-cli.js";
export { type BaselineRecord, disposeFirstBatch, type Score } from "./node/score-queries.js";
