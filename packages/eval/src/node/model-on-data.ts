// What scoring and rendering open before their first batch: the backend, the dataset's facts and
// the trained model, with the notes of a model meeting data other than its own.
import { stat } from "node:fs/promises";
import { type BackendRequest, initBackend } from "@gqn/backend";
import { GqnError } from "@gqn/core";
import type { DatasetInfo } from "@gqn/data";
import { readDatasetInfo } from "@gqn/data/node";
import { loadTrainedModel, type TrainedModel, trainedContextSize } from "./load-trained-model.js";

/** The options {@link evaluateCheckpoint} and {@link renderCheckpoint} share. */
export interface ModelOnDataOptions {
  /** A run directory (its newest checkpoint), a checkpoint directory or a saved model. */
  modelDir: string;
  dataDir: string;
  dataset: string;
  /** Context views per scene; default the largest K the model trained with (at most views - 1). */
  contextSize?: number;
  /** Pick and initialise a tfjs backend first; default: leave the current one. */
  backend?: BackendRequest;
  /** Where notes go (another dataset or frame size than the model's, a partial download); default stderr. */
  log?: (line: string) => void;
}

/** A trained model opened on a dataset: the caller disposes `trained.model`. */
export interface ModelOnData {
  trained: TrainedModel;
  info: DatasetInfo;
  contextSize: number;
  log: (line: string) => void;
}

/**
 * Opens `options.modelDir`'s model to score or render `options.dataset`; `defaultContextSize` is
 * the K of a model that recorded no training config.
 *
 * @throws GqnError `INVALID_ARGUMENT` when `options.dataDir` is not a directory.
 */
export async function openModelOnData(
  options: ModelOnDataOptions,
  where: string,
  doing: string,
  defaultContextSize: number,
): Promise<ModelOnData> {
  // A missing data dir would otherwise surface as missing shards (a published dataset's facts need
  // no dataset.json), after the model is loaded.
  const isDirectory = await stat(options.dataDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    throw new GqnError("INVALID_ARGUMENT", `${where}: dataDir ${options.dataDir} is not a directory.`);
  }
  if (options.backend) await initBackend({ backend: options.backend, log: () => {} });
  const info = await readDatasetInfo(options.dataDir, options.dataset);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const trained = await loadTrainedModel(options.modelDir, where, {
    dataset: options.dataset,
    frameSize: info.frameSize,
    doing,
    log,
  });
  const contextSize =
    options.contextSize ?? trainedContextSize(trained.training, info.views, defaultContextSize);
  return { trained, info, contextSize, log };
}
