// A run's model and its trainer, opened in one call: a new GQN or one adopted from saved weights,
// the trainer with the optimizer state a resumed run carries on, and data-parallel replicas.
import { createDataParallel } from "@gqn/backend/node";
import { type GqnConfig, GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor } from "../adam-state.js";
import { createTrainer, type Trainer } from "../trainer.js";
import { type TrainingConfig, validateTrainingConfig } from "../training-config.js";
import { type GqnReplicaConfig, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";

/** What {@link openModelAndTrainer} builds a run's model and trainer from. */
export interface OpenModelRequest {
  config: GqnConfig;
  /** The run's training config: checked against the dataset's views before any tensor exists. */
  training: TrainingConfig;
  datasetViews: number;
  /** A new model's initialiser seed (and the replicas'). */
  seed: number;
  /**
   * The weights a resumed run or a warm start continues from, and a resumed run's optimizer state.
   * The model is the opened one's from then on; the state's tensors are disposed once given to
   * the trainer.
   */
  from?: { model: GqnModel; optimizerState?: NamedTensor[] };
  /** Compute the gradients on data-parallel replicas. */
  parallel?: { workers: number; microBatchSize?: number; onnxThreads?: number };
}

/** A run's model and trainer, and how to close them (and the replicas) once. */
export interface OpenedModel {
  model: GqnModel;
  trainer: Trainer;
  close(): Promise<void>;
}

/**
 * The run's model (new, or `from`'s) and its trainer (with `from`'s optimizer state), its
 * gradients computed by `parallel` replicas when asked. Everything made, `from` included, is
 * freed when it fails.
 */
export async function openModelAndTrainer(request: OpenModelRequest): Promise<OpenedModel> {
  const { config, training, datasetViews, seed, from, parallel } = request;
  let model: GqnModel | undefined;
  const closing: (() => unknown)[] = [() => (model ?? from?.model)?.dispose()];
  const close = async () => {
    for (const step of closing.splice(0).reverse()) await step();
  };
  try {
    validateTrainingConfig(training, datasetViews);
    model = from?.model ?? GqnModel.create(config, { seed });
    const gradients =
      parallel &&
      (await createDataParallel({
        workers: parallel.workers,
        replicaModule: gqnReplicaModule(),
        replicaConfig: { gqn: config, seed } satisfies GqnReplicaConfig,
        replica: gqnReplica(model),
        ...(parallel.onnxThreads !== undefined && { onnxThreads: parallel.onnxThreads }),
        ...(parallel.microBatchSize !== undefined && { microBatchSize: parallel.microBatchSize }),
      }));
    if (gradients) closing.push(() => gradients.dispose());
    const trainer = createTrainer(model, training, gradients ? { gradients } : {});
    closing.push(() => trainer.dispose());
    if (from?.optimizerState) await trainer.setOptimizerState(from.optimizerState);
    return { model, trainer, close };
  } catch (error) {
    await close();
    throw error;
  } finally {
    tf.dispose(from?.optimizerState?.map((w) => w.tensor) ?? []);
  }
}
