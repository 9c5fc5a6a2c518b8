import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { checkInteger, GqnError } from "@gqn/core";
import { DATASETS, type DatasetInfo, datasetFileNames, type Split } from "./datasets.js";

/** The most shards a split may declare (the largest published split has 2,160; gqn-synth writes at most 100,000). */
const MAX_FILES_PER_SPLIT = 1_000_000;

/**
 * The facts of a dataset in `dataDir`: the published spec of `dataset`, overridden by
 * `<dataDir>/<dataset>/dataset.json` when present (`{ name, frameSize, views, trainFiles, testFiles, synthetic?, ... }`).
 * Throws INVALID_ARGUMENT for an unknown name without a dataset.json, INVALID_CONFIG for a bad dataset.json.
 */
export async function readDatasetInfo(dataDir: string, dataset: string): Promise<DatasetInfo> {
  const where = "readDatasetInfo";
  const path = join(dataDir, dataset, "dataset.json");
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new GqnError("IO_ERROR", `${where}: cannot read ${path}: ${(error as Error).message}.`, {
        cause: error,
      });
    }
  }
  const spec = DATASETS[dataset];
  if (text === undefined) {
    if (!spec) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: unknown dataset "${dataset}" and no ${path}; known datasets: ${Object.keys(DATASETS).join(", ")}.`,
      );
    }
    return { ...spec };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: ${path} is not valid JSON (${(error as Error).message}).`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GqnError("INVALID_CONFIG", `${where}: ${path} must hold a JSON object.`);
  }
  const info = { ...spec, ...(json as Record<string, unknown>) } as Record<string, unknown>;
  info.name ??= dataset;
  // Bounded before anything is allocated from them (a shard list, a frame buffer).
  const limits = {
    frameSize: 4096,
    views: 10_000,
    trainFiles: MAX_FILES_PER_SPLIT,
    testFiles: MAX_FILES_PER_SPLIT,
  };
  for (const key of ["frameSize", "views", "trainFiles", "testFiles"] as const) {
    checkInteger(info[key], `${where}: ${path}`, key, {
      min: key === "testFiles" ? 0 : 1,
      max: limits[key],
      code: "INVALID_CONFIG",
    });
  }
  if (info.name !== dataset) {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: ${path} names dataset "${String(info.name)}", but it is in the directory of "${dataset}".`,
    );
  }
  return info as unknown as DatasetInfo;
}

/** Options of {@link listDatasetFiles}. */
export interface ListDatasetFilesOptions {
  /**
   * Refuse a partial download: every published shard of the split must be present. Default false:
   * the shards present are read (nobody downloads all 1.45 TB), with a note saying how many.
   */
  requireAllShards?: boolean;
  /** Where the partial-download note goes; default `console.warn`. */
  warn?: (message: string) => void;
}

/**
 * The paths of a split's shards that are present, in shard order. A partial download is read with a
 * note (`using 4 of 900 train shards ...`); none present, or a partial one with `requireAllShards`,
 * is a MISSING_FILES error saying which dataset, how many shards were expected and found, and
 * which files in the directory are not named as its shards.
 */
export async function listDatasetFiles(
  dataDir: string,
  info: DatasetInfo,
  split: Split,
  options: ListDatasetFilesOptions = {},
): Promise<string[]> {
  const where = "listDatasetFiles";
  const dir = join(dataDir, info.name, split);
  if ((split === "train" ? info.trainFiles : info.testFiles) === 0) {
    throw new GqnError(
      "MISSING_FILES",
      `${where}: dataset "${info.name}" has no ${split} split (its dataset.json declares ${split}Files 0).`,
    );
  }
  const expected = datasetFileNames(info, split).map((rel) => join(dataDir, rel));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    names = [];
  }
  const present = new Set(names.map((name) => join(dir, name)));
  const found = expected.filter((path) => present.has(path));
  if (found.length === expected.length && expected.length > 0) return found;
  const shardNames = new Set(expected.map((path) => basename(path)));
  const misnamed = names.filter((name) => /\.tfrecord(\.gz|\.zz)?$/.test(name) && !shardNames.has(name));
  const what = `dataset "${info.name}" (${split}) has ${expected.length} shards named like ${basename(expected[0] ?? "(none)")}, but ${found.length} are in ${dir}`;
  const misnamedText =
    misnamed.length > 0
      ? `; ${misnamed.length} file(s) there are not named as its shards: ${misnamed.slice(0, 5).join(", ")}${misnamed.length > 5 ? ", ..." : ""}`
      : "";
  if (found.length === 0 || options.requireAllShards) {
    throw new GqnError(
      "MISSING_FILES",
      `${where}: ${what}${misnamedText}.${found.length > 0 ? " Download the rest, or read the shards present without requireAllShards (--require-all-shards)." : ""}`,
    );
  }
  (options.warn ?? console.warn)(
    `using ${found.length} of ${expected.length} ${split} shards of "${info.name}" in ${dir} (a partial download)${misnamedText}.`,
  );
  return found;
}
