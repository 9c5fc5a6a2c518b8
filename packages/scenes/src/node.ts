// Node-only entry (file system, worker threads, the CLI). Re-exports the platform-neutral API too.
export * from "./index.js";
export { runSynthCli, type SynthCliIo } from "./run-synth-cli.js";
export type { SynthFileTask } from "./synth-task.js";
export {
  planSyntheticDataset,
  type SyntheticDatasetInfo,
  type SynthProgress,
  type WriteSyntheticDatasetOptions,
  writeSyntheticDataset,
} from "./write-synthetic-dataset.js";
