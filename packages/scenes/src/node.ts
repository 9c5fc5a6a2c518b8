// Node-only entry (file system, worker threads, the CLI). Re-exports the platform-neutral API too.
export * from "./index.js";
export { runSynthCli } from "./run-synth-cli.js";
export { type SyntheticDatasetInfo, writeSyntheticDataset } from "./write-synthetic-dataset.js";
