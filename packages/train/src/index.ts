// Platform-neutral entry: the trainer (Adam on the ELBO with annealed sigma and learning rate) and
// the training settings of each preset; runs in a browser too. The model itself is @gqn/model;
// scoring renders is @gqn/eval.
export type { LinearAnneal } from "./schedules.js";
export { createTrainer, type StepMetrics, type Trainer } from "./trainer.js";
export { cpuSchedules, getTrainingPreset, type TrainingConfig } from "./training-config.js";
