import type { Replica } from "@gqn/backend/node";
import { GqnError } from "@gqn/core";
import type { SceneBatch } from "@gqn/data/node";
import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import {
  createTrainer,
  type GqnConfig,
  GqnModel,
  getPreset,
  resolveGqnConfig,
  type TrainerOptions,
  validateTrainingConfig,
} from "../index.js";
import type { LinearAnneal } from "../schedules.js";
import { type ElboMetricName, type GqnReplicaConfig, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";

/** The model's JSON config as the loop sees it (GqnConfig): stored in checkpoints as is. */
export type ModelConfig = { frameSize: number } & Record<string, unknown>;

/** The training config as the loop sees it (TrainingConfig of the model side). */
export interface LoopTrainingConfig {
  batchSize: number;
  contextSize: number | { min: number; max: number };
  sigma: LinearAnneal;
  learningRate: LinearAnneal;
  adam: { beta1: number; beta2: number; epsilon: number };
  drawSteps?: number | { min: number; max: number };
}

/** Test-split metrics of one batch (numbers): nats per image, bits per dimension, and the prior's MSE/PSNR. */
export interface LoopEvalMetrics {
  elbo: number;
  nll: number;
  kl: number;
  bitsPerDim: number;
  mse: number;
  psnr: number;
}

/** What one training step reports. */
export interface LoopStepMetrics {
  elbo: number;
  nll: number;
  kl: number;
  bitsPerDim: number;
  lr: number;
  sigma: number;
  /** DRAW steps of the pass, for models that draw. */
  drawSteps?: number;
  stepMs: number;
}

/** What the loop needs of a model: GqnModel's members (see the train contract). */
export interface LoopModel {
  /** A LayersModel sharing the model's weights, for checkpoints. */
  toLayersModel(): tfl.LayersModel;
  /** The prior's predicted mean image `[B, H, W, 3]` (caller disposes). */
  render(
    contextFrames: tf.Tensor5D,
    contextPoses: tf.Tensor3D,
    queryPose: tf.Tensor2D,
    options?: { seed?: number; samples?: number },
  ): tf.Tensor4D;
  evaluate(batch: SceneBatch, sigma: number, options?: { seed?: number }): Promise<LoopEvalMetrics>;
  dispose(): void;
}

/** What the loop needs of a trainer: createTrainer's result. */
export interface LoopTrainer {
  /** The Adam optimizer whose slots go into checkpoints. */
  readonly optimizer: tf.Optimizer;
  /**
   * One update at `stepIndex` (updates applied before it; sets lr and sigma from the schedules).
   * Throws GqnError `NON_FINITE` before applying anything when a value is not finite.
   */
  step(batch: SceneBatch, stepIndex: number, options?: { seed?: number }): Promise<LoopStepMetrics>;
  dispose(): void;
}

/** How the loop builds models: configs from presets, new models, models from checkpoints, trainers. */
export interface ModelFactory {
  /** A preset's configs with overrides, validated (INVALID_CONFIG) before any tensor exists. */
  resolve(
    preset: string,
    model: object | undefined,
    training: Partial<LoopTrainingConfig>,
    datasetViews: number,
  ): { model: ModelConfig; training: LoopTrainingConfig };
  /** Checks a training config against the dataset (e.g. a checkpoint's, with overrides). */
  validateTraining(training: LoopTrainingConfig, datasetViews: number): void;
  create(config: ModelConfig, options: { seed?: number }): LoopModel;
  fromLayersModel(model: tfl.LayersModel, config: ModelConfig): LoopModel;
  createTrainer(model: LoopModel, training: LoopTrainingConfig, options?: TrainerOptions): LoopTrainer;
  /**
   * The model as a data-parallel replica, with the module and JSON config worker threads rebuild
   * it from; absent when the model cannot train data-parallel.
   */
  replica?(
    model: LoopModel,
    config: ModelConfig,
    seed: number,
  ): { replica: Replica<ElboMetricName>; module: URL; config: unknown };
}

/** The GQN of this package: presets, GqnModel and createTrainer. */
export async function gqnModelFactory(): Promise<ModelFactory> {
  return {
    resolve(preset, model, training, views) {
      const resolved = {
        model: resolveGqnConfig(getPreset(preset).model, model ?? {}),
        training: { ...getPreset(preset).training, ...training },
      };
      validateTrainingConfig(resolved.training, views);
      return { model: resolved.model as unknown as ModelConfig, training: resolved.training };
    },
    validateTraining: (training, views) => validateTrainingConfig(training, views),
    create: (config, options) => GqnModel.create(config as unknown as GqnConfig, options),
    fromLayersModel: (model, config) => GqnModel.fromLayersModel(model, config as unknown as GqnConfig),
    createTrainer: (model, training, options) => createTrainer(asGqnModel(model), training, options),
    replica: (model, config, seed) => ({
      replica: gqnReplica(asGqnModel(model)),
      module: gqnReplicaModule(),
      config: { gqn: config as unknown as GqnConfig, seed } satisfies GqnReplicaConfig,
    }),
  };
}

function asGqnModel(model: LoopModel): GqnModel {
  if (!(model instanceof GqnModel)) {
    throw new GqnError("INVALID_ARGUMENT", "gqnModelFactory.createTrainer: model must be a GqnModel.");
  }
  return model;
}
