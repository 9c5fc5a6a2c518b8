// Checks of a run's data that can be made before anything is written, and the notes gqn-train,
// gqn-eval and gqn-render print when a model meets data other than its own.
import { type DatasetInfo, listDatasetFiles } from "@gqn/data/node";

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

const notesBySay = new WeakMap<(line: string) => void, (message: string) => void>();

/**
 * A `warn` for the data pipeline: each distinct note once per `say` (a run opens its test
 * batches at every evaluation), as a `[gqn]` line.
 */
export function dataNotes(say: (line: string) => void): (message: string) => void {
  let notes = notesBySay.get(say);
  if (!notes) {
    const seen = new Set<string>();
    notes = (message) => {
      if (seen.has(message)) return;
      seen.add(message);
      say(message.startsWith("[gqn]") ? message : `[gqn] ${message}`);
    };
    notesBySay.set(say, notes);
  }
  return notes;
}

/** What a model was trained on, against the data it now meets. */
export interface DataMismatch {
  /** The dataset the checkpoint was trained on (its state.json's), when recorded. */
  trainedOn?: string | undefined;
  /** The dataset given now. */
  dataset: string;
  /** The dataset's frame size, and the model's. */
  datasetFrameSize: number;
  modelFrameSize: number;
  /** What happens on the other data: "continuing", "scoring", "rendering". */
  doing: string;
}

/** The `[gqn]` notes for a model on another dataset or frame size than its own (none when they match). */
export function dataMismatchNotes(m: DataMismatch): string[] {
  const notes: string[] = [];
  if (m.trainedOn !== undefined && m.trainedOn !== m.dataset) {
    notes.push(`[gqn] the checkpoint was trained on ${m.trainedOn}; ${m.doing} on ${m.dataset}.`);
  }
  if (m.datasetFrameSize !== m.modelFrameSize) {
    notes.push(`[gqn] resizing ${m.datasetFrameSize} px frames to the model's ${m.modelFrameSize} px.`);
  }
  return notes;
}
