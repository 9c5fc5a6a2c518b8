// The notes gqn-train, gqn-eval and gqn-render print about data: the data pipeline's (each once),
// and those of a model meeting data other than its own.

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
