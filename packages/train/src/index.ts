// Platform-neutral entry: the trainer (Adam on the ELBO with annealed sigma and learning rate),
// the training settings' checks, baselines (a plane sweep among them) and meters, image grids and
// TensorBoard event encoding (runs in a browser too). The model itself is @gqn/model.
export { contextAverage, MeanImage, nearestContextView, ScoreMeter, ssim } from "./baselines.js";
export {
  OBJECT_PIXEL_THRESHOLD,
  type ObjectMaskTensors,
  type ObjectScore,
  ObjectScoreMeter,
  objectPixels,
} from "./object-scores.js";
export {
  PLANE_SWEEP_DEPTHS,
  type PlaneSweepInputs,
  type PlaneSweepOptions,
  planeSweep,
  planeSweepImages,
  sweepDepths,
  UNSEEN_VARIANCE,
} from "./plane-sweep.js";
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
export {
  checkDrawSteps,
  cpuSchedules,
  drawStepsAt,
  getTrainingPreset,
  TRAINING_PRESETS,
  type TrainingConfig,
  validateTrainingConfig,
} from "./training-config.js";
