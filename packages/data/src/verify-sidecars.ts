// What `gqn-data verify` checks beside the TFRecords: that each dataset.json it meets can be read,
// and that the object masks a dataset.json names are there, intact, and belong to the records
// (the same checks a scorer makes, run ahead over every record).
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readDatasetInfo } from "./dataset-files.js";
import type { Split } from "./datasets.js";
import { ObjectMasks, objectMaskFileName } from "./object-masks.js";
import type { ShardTally } from "./verify-completeness.js";

/**
 * `dataset.json: ...` lines for each dataset directory that verify covers (`root`, its parent, and
 * the datasets of the shards read) whose dataset.json exists but cannot be used: not JSON, or facts
 * out of range. A dataset.json that cannot be read cannot vouch for the shards either.
 */
export async function datasetJsonProblems(root: string, tallies: readonly ShardTally[]): Promise<string[]> {
  const dirs = new Set([root, dirname(root), ...tallies.map(({ file }) => dirname(dirname(file)))]);
  const problems: string[] = [];
  for (const dir of dirs) {
    if (!(await isFile(join(dir, "dataset.json")))) continue;
    try {
      await readDatasetInfo(dirname(dir), basename(dir));
    } catch (error) {
      problems.push(`dataset.json: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * `masks: ...` lines for the shards read whose dataset.json names object masks: a masks file that
 * is missing, damaged (header, length, a record's CRC), of another record count, or written for
 * other records. One line per masks file: its first problem.
 */
export async function maskProblems(tallies: readonly ShardTally[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { file, records } of tallies) {
    const splitDir = dirname(file);
    const datasetDir = dirname(splitDir);
    let masks: ObjectMasks | undefined;
    try {
      const info = await readDatasetInfo(dirname(datasetDir), basename(datasetDir));
      masks = ObjectMasks.open(dirname(datasetDir), info, basename(splitDir) as Split);
    } catch {
      continue; // no dataset.json of ours, or a bad one: datasetJsonProblems says so
    }
    if (!masks) continue;
    try {
      // Opening checks the header and the records' keys; reading checks each record's CRC.
      const held = await masks.recordCount(file);
      if (held !== records) {
        problems.push(
          `masks: the masks of ${file} hold ${held} records, but it holds ${records} intact ones (${objectMaskFileName(file)})`,
        );
        continue;
      }
      for (let record = 0; record < records; record++) await masks.read(file, record, 0);
    } catch (error) {
      problems.push(`masks: ${(error as Error).message}`);
    } finally {
      await masks.close();
    }
  }
  return problems;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
