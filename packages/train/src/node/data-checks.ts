// Checks of a run's data that can be made before anything is written.
import type { DatasetInfo } from "@gqn/data";
import { listDatasetFiles } from "@gqn/data/node";

/**
 * Fails (GqnError `MISSING_FILES`) unless each split the run reads has its shards: the train
 * split, and the test split when the dataset has one; all of them with `requireAllShards`.
 * Called before the run directory is touched, so a missing download leaves nothing behind.
 */
export async function requireSplitFiles(
  dataDir: string,
  info: DatasetInfo,
  requireAllShards: boolean | undefined,
): Promise<void> {
  const splits = info.testFiles > 0 ? (["train", "test"] as const) : (["train"] as const);
  for (const split of splits) {
    // The partial-download note is printed once, by the batches that read the split.
    await listDatasetFiles(dataDir, info, split, {
      requireAllShards: requireAllShards ?? false,
      warn: () => {},
    });
  }
}
