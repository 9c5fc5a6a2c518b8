// Platform-neutral entry: the model, its trainer, config and presets, the objective, schedules,
// grids and TensorBoard event encoding (runs in a browser too). Importing it registers the
// GqnRenderer layer class, which tf.loadLayersModel needs.
export { contextAverage, MeanImage, nearestContextView, ScoreMeter, ssim } from "./baselines.js";
export { buildCondition } from "./condition.js";
export {
  bitsPerDim,
  type ElboTerms,
  elboTerms,
  gaussianNll,
  imageMse,
  nllFloor,
  psnrFromMse,
} from "./elbo.js";
export type { GqnBatch } from "./gqn-batch.js";
export {
  checkFrameSize,
  GQN_PRESET_NAMES,
  GQN_PRESETS,
  type GqnConfig,
  type GqnConfigOverrides,
  type GqnPreset,
  type GqnPresetName,
  getPreset,
  resolveGqnConfig,
  type TrainingConfig,
  validateGqnConfig,
  validateTrainingConfig,
} from "./gqn-config.js";
export { type EvalMetrics, GqnModel, type GqnModelOptions } from "./gqn-model.js";
export { GqnRenderer, type GqnRendererArgs, type LossOptions, type RenderOptions } from "./gqn-renderer.js";
export { imageGrid, type RgbImage, scaleImage, toRgbImages } from "./image-grid.js";
export { annealed, type LinearAnneal, PAPER_LR_SCHEDULE, PAPER_SIGMA_SCHEDULE } from "./schedules.js";
export { encodeFileVersionEvent, encodeSummaryEvent, type SummaryValue } from "./tensorboard-event.js";
export {
  createTrainer,
  type ElboMetrics,
  type GradientSource,
  type NamedTensor,
  type StepMetrics,
  type StepOptions,
  type Trainer,
  type TrainerOptions,
} from "./trainer.js";
