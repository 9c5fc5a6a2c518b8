import { createDataParallel } from "@gqn/backend/node";
import { completeGqnConfig, type GqnConfig, GqnModel, getPreset, resolveGqnConfig } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { NamedTensor } from "../adam-state.js";
import { createTrainer, type Trainer } from "../trainer.js";
import { getTrainingPreset, type TrainingConfig, validateTrainingConfig } from "../training-config.js";
import { type GqnReplicaConfig, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";

/**
 * What the training loop needs of a model: these members of {@link GqnModel}. Any model with
 * them trains in the loop (its own tests use a one-layer pose decoder, to run in seconds). With
 * `infer`, the TensorBoard images show the posterior's reconstruction too.
 */
export type TrainableModel = Pick<
  GqnModel,
  "toLayersModel" | "represent" | "render" | "evaluate" | "dispose"
> &
  Partial<Pick<GqnModel, "infer">>;

/**
 * What the training loop needs of a trainer: these members of {@link createTrainer}'s result.
 * Its optimizer state goes into checkpoints and comes back on resume through the trainer's
 * get/setOptimizerState, the one path for it.
 */
export type LoopTrainer = Pick<Trainer, "step" | "getOptimizerState" | "setOptimizerState" | "dispose">;

/** What the loop reads of a model's JSON config (stored in checkpoints as is). */
export interface ModelConfig {
  /** Frame size of the model: the data pipeline resizes frames to it. */
  frameSize: number;
}

/** What {@link ModelFactory.open} builds a run's model and trainer from. */
export interface OpenModelRequest<Config extends ModelConfig = ModelConfig> {
  config: Config;
  /** The run's training config: checked against the dataset's views before any tensor exists. */
  training: TrainingConfig;
  datasetViews: number;
  /** A new model's initialiser seed (and the replicas'). */
  seed: number;
  /**
   * A resumed run's weights and optimizer state (a checkpoint's). The model is owned by the
   * opened model from then on; the state's tensors are disposed once given to the trainer.
   */
  from?: { model: tfl.LayersModel; optimizerState?: NamedTensor[] };
  /** Compute the gradients on data-parallel replicas (only when {@link ModelFactory.dataParallel}). */
  parallel?: { workers: number; microBatchSize?: number; onnxThreads?: number };
}

/** A run's model and trainer, and how to close them (and the replicas) once. */
export interface OpenedModel<Model extends TrainableModel = TrainableModel> {
  model: Model;
  trainer: LoopTrainer;
  close(): Promise<void>;
}

/**
 * How the loop builds a kind of model: its configs from a preset, and a run's model and trainer
 * in one call (new, or from a checkpoint's weights and optimizer state).
 */
export interface ModelFactory<
  Config extends ModelConfig = ModelConfig,
  Model extends TrainableModel = TrainableModel,
> {
  /** Whether {@link ModelFactory.open} can train it data-parallel (`parallel`). */
  readonly dataParallel: boolean;
  /**
   * A preset's configs with overrides; the model config is validated (INVALID_CONFIG) before any
   * tensor exists, the training config by {@link ModelFactory.open}.
   */
  resolve(
    preset: string,
    model: object | undefined,
    training: Partial<TrainingConfig>,
  ): { model: Config; training: TrainingConfig };
  /**
   * The run's model (new, or `from`'s weights) and its trainer (with `from`'s optimizer state),
   * its gradients computed by `parallel` replicas when asked. Everything made is freed when it
   * fails.
   */
  open(request: OpenModelRequest<Config>): Promise<OpenedModel<Model>>;
  /** A model from saved weights (rendering, scoring). */
  fromLayersModel(model: tfl.LayersModel, config: Config): Model;
  /** A stored config with the defaults of today's fields filled in (written before they existed). */
  complete(config: Config): Config;
}

/** The GQN: @gqn/model's presets and GqnModel, this package's trainer and replicas. */
export const gqnModelFactory: ModelFactory<GqnConfig, GqnModel> = {
  dataParallel: true,
  resolve: (preset, model, training) => ({
    model: resolveGqnConfig(getPreset(preset).model, model ?? {}),
    training: { ...getTrainingPreset(preset), ...training },
  }),
  async open({ config, training, datasetViews, seed, from, parallel }) {
    let model: GqnModel | undefined;
    // The checkpoint's weights are the model's once wrapped, and freed with it.
    const closing: (() => unknown)[] = [() => (model ?? from?.model)?.dispose()];
    const close = async () => {
      for (const step of closing.splice(0).reverse()) await step();
    };
    try {
      validateTrainingConfig(training, datasetViews);
      model = from ? GqnModel.fromLayersModel(from.model, config) : GqnModel.create(config, { seed });
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
  },
  fromLayersModel: (model, config) => GqnModel.fromLayersModel(model, config),
  complete: (config) => completeGqnConfig(config),
};
