// What `gqn-data verify` checks beyond each record: that a dataset with a dataset.json is all
// there (both splits, the declared shards by name, the declared record counts), and that when
// dataset.json disagrees with every record, dataset.json is blamed once instead of each record.
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readDatasetInfo } from "./dataset-files.js";
import { type DatasetInfo, datasetFileNames, type Split } from "./datasets.js";

/** A shard read by verify: its path and the intact records it held. */
export interface ShardTally {
  file: string;
  records: number;
}

/** A dataset directory (`<dataDir>/<name>`) that has a dataset.json, with its facts. */
export interface DeclaredDataset {
  dir: string;
  info: DatasetInfo;
}

/** The dataset.json dataset a shard `<dataDir>/<name>/<split>/<file>` belongs to, if any. */
export function declaredDatasetOf(file: string): Promise<DeclaredDataset | undefined> {
  return declaredDatasetAt(dirname(dirname(file)));
}

/**
 * Problem lines (`files: ...`, `count: ...`) for each dataset.json dataset that `root` (what
 * verify was given) covers: the split directories verify was given, or both splits of a dataset
 * directory or of a data directory's datasets. Each split must hold exactly its declared shards
 * (`<i>-of-<n>.tfrecord`) and, when declared (`trainScenes`, `testScenes`), that many records.
 */
export async function completenessProblems(root: string, tallies: readonly ShardTally[]): Promise<string[]> {
  // Given one file, the rest of its dataset is not verify's business.
  if (!(await stat(root)).isDirectory()) return [];
  const datasets = new Map<string, DeclaredDataset>();
  const rootDataset = await declaredDatasetAt(root);
  if (rootDataset) datasets.set(rootDataset.dir, rootDataset);
  for (const { file } of tallies) {
    const found = await declaredDatasetOf(file);
    if (found && !datasets.has(found.dir)) datasets.set(found.dir, found);
  }
  // Given one split's directory, the other split is not verify's business.
  const onlySplit = (await declaredDatasetAt(dirname(root))) ? (basename(root) as Split) : undefined;
  const problems: string[] = [];
  for (const { dir, info } of datasets.values()) {
    const splits: Split[] = onlySplit ? [onlySplit] : info.testFiles > 0 ? ["train", "test"] : ["train"];
    for (const split of splits) {
      const splitDir = join(dir, split);
      const expected = datasetFileNames(info, split).map((rel) => basename(rel));
      const present = await tfrecordNames(splitDir);
      const missing = expected.filter((name) => !present.includes(name));
      const misnamed = present.filter((name) => !expected.includes(name));
      if (missing.length > 0 || misnamed.length > 0) {
        const parts = [
          `files: ${info.name} (${split}) declares ${expected.length} shards in dataset.json (${expected[0] ?? "none"}...), but ${splitDir} holds ${expected.length - missing.length} of them`,
        ];
        if (missing.length > 0) parts.push(`missing: ${list(missing)}`);
        if (misnamed.length > 0) parts.push(`not named as its shards: ${list(misnamed)}`);
        problems.push(parts.join("; "));
      }
      const declared = info[`${split}Scenes`];
      if (typeof declared === "number") {
        const inSplit = tallies.filter((t) => dirname(t.file) === splitDir);
        const found = inSplit.reduce((sum, t) => sum + t.records, 0);
        if (found !== declared) {
          problems.push(
            `count: ${info.name} (${split}) declares ${declared} records in dataset.json, but its ${inSplit.length} files read in ${splitDir} hold ${found}`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Tallies of one dataset's records against what its dataset.json declares of each record (views,
 * frame size): when every record read disagrees on the same field, the one line to print instead
 * of a line per record.
 */
export class DeclaredFieldCheck {
  private records = 0;
  private readonly mismatches = new Map<"views" | "frameSize", { count: number; seen: Set<string> }>();

  constructor(
    private readonly info: DatasetInfo,
    private readonly path: string,
  ) {}

  /** Counts a record decoded, and whether it disagreed with dataset.json on `field` (seen: its value). */
  add(mismatch?: { field: "views" | "frameSize"; seen: string }): void {
    this.records++;
    if (!mismatch) return;
    const tally = this.mismatches.get(mismatch.field) ?? { count: 0, seen: new Set<string>() };
    tally.count++;
    tally.seen.add(mismatch.seen);
    this.mismatches.set(mismatch.field, tally);
  }

  /** The line blaming dataset.json, when every record disagreed with it on one field. */
  blame(): string | undefined {
    for (const [field, tally] of this.mismatches) {
      if (this.records > 0 && tally.count === this.records) {
        return `dataset.json: ${this.path} declares ${field} ${this.info[field]}, but all ${this.records} records read have ${[...tally.seen].join(", ")}: dataset.json is wrong (fix it), not the records`;
      }
    }
    return undefined;
  }
}

async function declaredDatasetAt(dir: string): Promise<DeclaredDataset | undefined> {
  if (!(await isFile(join(dir, "dataset.json")))) return undefined;
  try {
    return { dir, info: await readDatasetInfo(dirname(dir), basename(dir)) };
  } catch {
    return undefined; // a bad dataset.json is reported where the records are checked against it
  }
}

async function tfrecordNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => /\.tfrecord(\.gz|\.zz)?$/.test(name)).sort();
  } catch {
    return [];
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function list(names: string[]): string {
  return `${names.slice(0, 5).join(", ")}${names.length > 5 ? `, ... (${names.length})` : ""}`;
}
