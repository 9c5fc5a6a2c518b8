import { GqnError } from "@gqn/core";
import type { DatasetInfo } from "@gqn/data";
import { inMemoryDatasetInfo, peekScene, readDatasetInfo, type SceneIterable } from "@gqn/data/node";
import { requireDirectory } from "./require-directory.js";

/**
 * How errors name the caller and the data options (what train-options' `OptionNames` gives, for
 * the keys read here): declared here, so this module does not import the options module back.
 */
export interface DataOptionNames {
  where: string;
  option(key: "dataDir" | "dataset"): string;
}

/** Training data from a dataset's files. */
export interface DirectoryTrainData {
  /** The directory holding `<dataset>/<train|test>/*.tfrecord` (and `dataset.json` for custom data). */
  dataDir: string;
  /** A published dataset name, or a directory of `dataDir` with a `dataset.json`. */
  dataset: string;
  scenes?: undefined;
}

/**
 * Training data in memory: scenes `{ frames, cameras }` from any iterable or async iterable (an
 * array is iterated again at its end; a generator may run forever). No test split: no evaluations
 * or image grids. On resume the view draws carry on and the scenes already used in the current
 * pass are skipped, which continues the data order when the iterable yields the same scenes.
 */
export interface InMemoryTrainData {
  scenes: SceneIterable;
  /** The data's name in logs and checkpoints; default "in-memory". */
  dataset?: string;
  dataDir?: undefined;
}

/** Where {@link train} reads scenes: files, or scenes in memory. */
export type TrainData = DirectoryTrainData | InMemoryTrainData;

/** The data of a run, opened: its facts and what createSceneBatches reads. */
export interface OpenedTrainData {
  info: DatasetInfo;
  /** The dataset's name in logs and checkpoints. */
  name: string;
  /** The batch source: the files, or the scenes (the first one read ahead, and yielded again). */
  source: { dataDir: string; dataset: string } | { scenes: SceneIterable };
}

/**
 * Checks the data options and reads the dataset's facts (for scenes in memory, from the first
 * scene); errors name the options as `names` says.
 */
export async function openTrainData(data: TrainData, names: DataOptionNames): Promise<OpenedTrainData> {
  const { where, option } = names;
  if (data.scenes !== undefined) {
    if (data.dataDir !== undefined) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: pass either ${option("dataDir")} and ${option("dataset")} (files) or scenes (in memory), not both.`,
      );
    }
    const { first, scenes } = await peekScene(data.scenes);
    if (!first) throw new GqnError("INVALID_ARGUMENT", `${where}: scenes gave no scene.`);
    const name = data.dataset ?? "in-memory";
    return { info: inMemoryDatasetInfo(first, name), name, source: { scenes } };
  }
  for (const key of ["dataDir", "dataset"] as const) {
    if (typeof data[key] !== "string" || data[key].length === 0) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: ${option(key)} must be a non-empty string, but got ${JSON.stringify(data[key])}.`,
      );
    }
  }
  await requireDirectory(data.dataDir, `${where}: ${option("dataDir")}`);
  const info = await readDatasetInfo(data.dataDir, data.dataset);
  return { info, name: data.dataset, source: { dataDir: data.dataDir, dataset: data.dataset } };
}

/** The files of a run's data; only asked for when it has a test split, which scenes in memory have not. */
export function dataFiles(data: TrainData): { dataDir: string; dataset: string } {
  if (data.dataDir === undefined || data.dataset === undefined) {
    throw new GqnError("INVALID_ARGUMENT", "train: scenes in memory have no test split.");
  }
  return { dataDir: data.dataDir, dataset: data.dataset };
}
