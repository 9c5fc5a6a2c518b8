import type { Replica } from "@gqn/backend/node";
import { type GqnConfig, GqnModel, getPreset, resolveGqnConfig, type TrainingConfig } from "@gqn/model";
import type * as tfl from "@tensorflow/tfjs-layers";
import { createTrainer, type Trainer, type TrainerOptions, validateTrainingConfig } from "../index.js";
import { type ElboMetricName, type GqnReplicaConfig, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";

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

/** What the training loop needs of a trainer: these members of {@link createTrainer}'s result. */
export type LoopTrainer = Pick<Trainer, "optimizer" | "step" | "dispose">;

/** What the loop reads of a model's JSON config (stored in checkpoints as is). */
export interface ModelConfig {
  /** Frame size of the model: the data pipeline resizes frames to it. */
  frameSize: number;
}

/** How the loop builds models: configs from presets, new models, models from checkpoints, trainers. */
export interface ModelFactory<
  Config extends ModelConfig = ModelConfig,
  Model extends TrainableModel = TrainableModel,
> {
  /** A preset's configs with overrides, validated (INVALID_CONFIG) before any tensor exists. */
  resolve(
    preset: string,
    model: object | undefined,
    training: Partial<TrainingConfig>,
    datasetViews: number,
  ): { model: Config; training: TrainingConfig };
  /** Checks a training config against the dataset (e.g. a checkpoint's, with overrides). */
  validateTraining(training: TrainingConfig, datasetViews: number): void;
  create(config: Config, options: { seed?: number }): Model;
  fromLayersModel(model: tfl.LayersModel, config: Config): Model;
  createTrainer(model: Model, training: TrainingConfig, options?: TrainerOptions): LoopTrainer;
  /**
   * The model as a data-parallel replica, with the module and JSON config worker threads rebuild
   * it from; absent when the model cannot train data-parallel.
   */
  replica?(
    model: Model,
    config: Config,
    seed: number,
  ): { replica: Replica<ElboMetricName>; module: URL; config: unknown };
}

/** The GQN: @gqn/model's presets and GqnModel, and this package's createTrainer. */
export async function gqnModelFactory(): Promise<ModelFactory<GqnConfig, GqnModel>> {
  return {
    resolve(preset, model, training, views) {
      const resolved = {
        model: resolveGqnConfig(getPreset(preset).model, model ?? {}),
        training: { ...getPreset(preset).training, ...training },
      };
      validateTrainingConfig(resolved.training, views);
      return resolved;
    },
    validateTraining: (training, views) => validateTrainingConfig(training, views),
    create: (config, options) => GqnModel.create(config, options),
    fromLayersModel: (model, config) => GqnModel.fromLayersModel(model, config),
    createTrainer: (model, training, options) => createTrainer(model, training, options),
    replica: (model, config, seed) => ({
      replica: gqnReplica(model),
      module: gqnReplicaModule(),
      config: { gqn: config, seed } satisfies GqnReplicaConfig,
    }),
  };
}
