// Loading a checkpoint to render or score it (gqn-eval, gqn-render): the weights without the
// optimizer, refused when not finite.
import { GqnError } from "@gqn/core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { loadCheckpoint } from "./checkpoint.js";
import { dataMismatchNotes } from "./data-checks.js";

/** What rendering and scoring need of a checkpoint: its layers model and the configs of its state. */
export interface InferenceCheckpoint<Model = unknown, Training = unknown> {
  path: string;
  step: number;
  /** The weights, without the optimizer's (owned by the caller). */
  model: tfl.LayersModel;
  gqnConfig: Model;
  trainingConfig?: Training;
  /** The dataset the run trained on, when its state records it. */
  dataset?: string;
}

/**
 * `"<weight>: N of M values"` for the first weight holding NaN or infinity; undefined when all are
 * finite. Async: a GPU backend such as WebGPU has no synchronous read in Node.
 */
async function nonFiniteWeights(model: tfl.LayersModel): Promise<string | undefined> {
  for (const weight of model.weights) {
    const values = await weight.read().data();
    let bad = 0;
    for (const v of values) if (!Number.isFinite(v)) bad++;
    if (bad > 0) return `${weight.name}: ${bad} of ${values.length} values`;
  }
  return undefined;
}

/** The data a checkpoint is about to render or score: notes go to `log` when it is not the model's own. */
export interface InferenceData {
  dataset: string;
  frameSize: number;
  /** What happens on it: "scoring", "rendering". */
  doing: string;
  log: (line: string) => void;
}

/**
 * Loads a checkpoint for inference: the optimizer state is dropped at once, and a state.json
 * without a model config is a CHECKPOINT_ERROR naming `where` and the file. With `data`, notes a
 * dataset or frame size other than the model's.
 */
export async function loadInferenceCheckpoint<
  Model extends { frameSize: number } = { frameSize: number },
  Training = unknown,
>(path: string, where: string, data?: InferenceData): Promise<InferenceCheckpoint<Model, Training>> {
  const loaded = await loadCheckpoint(path);
  for (const w of loaded.optimizerState ?? []) w.tensor.dispose();
  const state = loaded.state as { gqnConfig?: Model; trainingConfig?: Training; dataset?: unknown };
  if (!state.gqnConfig) {
    loaded.model.dispose();
    throw new GqnError("CHECKPOINT_ERROR", `${where}: ${loaded.path}/state.json has no gqnConfig.`);
  }
  const broken = await nonFiniteWeights(loaded.model);
  if (broken) {
    loaded.model.dispose();
    throw new GqnError(
      "NON_FINITE",
      `${where}: ${loaded.path} holds non-finite weights (${broken}), so nothing it renders or scores means anything. Use an earlier checkpoint of the run.`,
    );
  }
  if (data) {
    const notes = dataMismatchNotes({
      trainedOn: typeof state.dataset === "string" ? state.dataset : undefined,
      dataset: data.dataset,
      datasetFrameSize: data.frameSize,
      modelFrameSize: state.gqnConfig.frameSize,
      doing: data.doing,
    });
    for (const note of notes) data.log(note);
  }
  return {
    path: loaded.path,
    step: loaded.step,
    model: loaded.model,
    gqnConfig: state.gqnConfig,
    ...(typeof state.dataset === "string" && { dataset: state.dataset }),
    ...(state.trainingConfig !== undefined && { trainingConfig: state.trainingConfig }),
  };
}

/** The largest K a training config drew (`fallback` without one), at most `views - 1`. */
export function trainedContextSize(
  training: { contextSize?: number | { min: number; max: number } } | undefined,
  views: number,
  fallback: number,
): number {
  const k = training?.contextSize ?? fallback;
  return Math.min(typeof k === "number" ? k : k.max, views - 1);
}
