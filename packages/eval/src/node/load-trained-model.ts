// A trained GQN read back from disk, the one way every command does it (gqn-eval, gqn-render,
// gqn-train --init-from): a run's checkpoint or a saved model, adopted by GqnModel, its weights
// refused when not finite.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import { completeGqnConfig, type GqnConfig, GqnModel } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import * as tfl from "@tensorflow/tfjs-layers";
import { dataMismatchNotes } from "./data-notes.js";
import { CHECKPOINT_FILES, loadCheckpoint, nonFiniteWeight, resolveCheckpoint } from "./load-checkpoint.js";

/**
 * What scoring and rendering read of the training config a run records in its checkpoints
 * (@gqn/train's `TrainingConfig`): the context sizes it drew and its pixel-sigma anneal.
 */
export interface RecordedTraining {
  contextSize: number | { min: number; max: number };
  sigma: { start: number; end: number; steps: number };
}

/** A trained model read by {@link loadTrainedModel}. */
export interface TrainedModel<Training = RecordedTraining> {
  /** The checkpoint or saved-model directory read. */
  path: string;
  /** The checkpoint's step; absent for a saved model without a run state. */
  step?: number;
  /** The model, owned by the caller. */
  model: GqnModel;
  /** The training config the run recorded, when it did. */
  training?: Training;
  /** The dataset the run trained on, when its state records it. */
  dataset?: string;
}

/** The data a model is about to meet: notes go to `log` when it is not the model's own. */
export interface TrainedModelData {
  dataset: string;
  frameSize: number;
  /** What happens on it: "scoring", "rendering", "training". */
  doing: string;
  log: (line: string) => void;
}

/**
 * Loads a trained GQN: a checkpoint (`ckpt-<step>`, or a model dir and its newest checkpoint) or
 * a saved model (a directory with `model.json`, such as a shipped one). Its config is the one it
 * was saved with, fields added since taking their defaults. The optimizer's state is not read.
 * With `data`, notes a dataset or frame size other than the model's.
 *
 * @throws GqnError `INVALID_ARGUMENT` when `path` holds neither; `CHECKPOINT_ERROR` when it cannot
 *   be read or its weights are not finite (naming `where`, the path and the weight).
 */
export async function loadTrainedModel<Training = RecordedTraining>(
  path: string,
  where: string,
  data?: TrainedModelData,
): Promise<TrainedModel<Training>> {
  const read = await readWeights(path, where);
  let model: GqnModel;
  try {
    const broken = await nonFiniteWeight(read.layers);
    if (broken) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `${where}: ${read.path} holds non-finite weights (${broken}): nothing rendered, scored or trained from them means anything. If it is a run's newest checkpoint, pass an older one of that run (its ${CHECKPOINT_FILES.folder}/${CHECKPOINT_FILES.prefix}<step>).`,
      );
    }
    // A model saved before a config field existed has its default.
    const stored = read.state?.gqnConfig as GqnConfig | undefined;
    model = GqnModel.fromLayersModel(read.layers, stored && completeGqnConfig(stored));
  } catch (error) {
    read.layers.dispose();
    throw error;
  }
  const dataset = typeof read.state?.dataset === "string" ? read.state.dataset : undefined;
  if (data) {
    const notes = dataMismatchNotes({
      trainedOn: dataset,
      dataset: data.dataset,
      datasetFrameSize: data.frameSize,
      modelFrameSize: model.config.frameSize,
      doing: data.doing,
    });
    for (const note of notes) data.log(note);
  }
  const training = read.state?.trainingConfig as Training | undefined;
  return {
    path: read.path,
    model,
    ...(read.step !== undefined && { step: read.step }),
    ...(training !== undefined && { training }),
    ...(dataset !== undefined && { dataset }),
  };
}

/** A checkpoint's weights and run state, or a saved model's weights alone. */
async function readWeights(
  path: string,
  where: string,
): Promise<{ path: string; layers: tfl.LayersModel; step?: number; state?: Record<string, unknown> }> {
  if (await resolveCheckpoint(path).catch(() => undefined)) {
    const loaded = await loadCheckpoint(path);
    return { path: loaded.path, layers: loaded.model, step: loaded.step, state: loaded.state };
  }
  const saved = await access(join(path, "model.json")).then(
    () => true,
    () => false,
  );
  if (!saved) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: no checkpoint in ${path}: it is neither a checkpoint (${CHECKPOINT_FILES.prefix}<step>, or a model dir holding one) nor a saved model (a directory with model.json).`,
    );
  }
  try {
    return { path, layers: await tfl.loadLayersModel(layersModelFiles(path)) };
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `${where}: cannot load the model in ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
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

/** The pixel sigma a run's recorded anneal had reached at `step`: linear, then held at its end. */
export function annealedSigma(schedule: RecordedTraining["sigma"], step: number): number {
  return schedule.start + (schedule.end - schedule.start) * Math.min(Math.max(step / schedule.steps, 0), 1);
}
