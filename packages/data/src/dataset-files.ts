import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import { DATASETS, type DatasetInfo, datasetFileNames, type Split } from "./datasets.js";

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
  for (const key of ["frameSize", "views", "trainFiles", "testFiles"] as const) {
    const value = info[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < (key === "testFiles" ? 0 : 1)) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: ${path} must give ${key} as a ${key === "testFiles" ? "non-negative" : "positive"} integer, but got ${JSON.stringify(value)}.`,
      );
    }
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
  /** Read whatever subset of the files is present (partial downloads are the norm), with a warning. Default false. */
  allowPartial?: boolean;
  /** Where the partial-download warning goes; default `console.warn`. */
  warn?: (message: string) => void;
}

/**
 * The paths of a split's files, in shard order. Missing files are a MISSING_FILES error saying which dataset,
 * how many files were expected and how many found; with `allowPartial` the present ones are returned with a
 * warning (none present is still an error).
 */
export async function listDatasetFiles(
  dataDir: string,
  info: DatasetInfo,
  split: Split,
  options: ListDatasetFilesOptions = {},
): Promise<string[]> {
  const where = "listDatasetFiles";
  const dir = join(dataDir, info.name, split);
  const expected = datasetFileNames(info, split).map((rel) => join(dataDir, rel));
  let present: Set<string>;
  try {
    present = new Set((await readdir(dir)).map((name) => join(dir, name)));
  } catch {
    present = new Set();
  }
  const found = expected.filter((path) => present.has(path));
  if (found.length === expected.length && expected.length > 0) return found;
  const what = `dataset "${info.name}" (${split}) expects ${expected.length} files named like ${expected[0] ?? "(none)"}, but found ${found.length} in ${dir}`;
  if (!options.allowPartial || found.length === 0) {
    throw new GqnError(
      "MISSING_FILES",
      `${where}: ${what}.${found.length > 0 ? " Download the rest, or pass allowPartial to read the files present." : ""}`,
    );
  }
  (options.warn ?? console.warn)(`${where}: ${what}; reading the ${found.length} present (allowPartial).`);
  return found;
}
