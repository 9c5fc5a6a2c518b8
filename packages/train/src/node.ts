// Node-only entry: the training loop on a dataset on disk (or scenes in memory), with its
// checkpoints, logs and the gqn-train command line. Re-exports the platform-neutral API too.
// Reading, scoring and rendering the checkpoints it writes is @gqn/eval/node.
export * from "./index.js";
export { countOrRange } from "./node/cli-support.js";
export { runTrainCli } from "./node/run-train-cli.js";
export { stopOnSignals } from "./node/stop-on-signals.js";
export { type StopReason, type TrainOptions, type TrainResult, train } from "./node/train.js";
