import { checkInteger, deriveSeed, GqnError } from "@gqn/core";
import {
  type GqnConfig,
  type GqnConfigOverrides,
  type GqnPresetName,
  getPreset,
  resolveGqnConfig,
} from "@gqn/model";
import { type LinearAnneal, PAPER_LR_SCHEDULE, PAPER_SIGMA_SCHEDULE } from "./schedules.js";

/** Training hyper-parameters (JSON; stored in checkpoints so `--resume` carries them on). */
export interface TrainingConfig {
  /** Scenes per batch. */
  batchSize: number;
  /** Context views per scene: a fixed K, or K drawn per batch from `min..max` (the paper's). */
  contextSize: number | { min: number; max: number };
  /** Pixel standard deviation of the Gaussian likelihood, annealed per step. */
  sigma: LinearAnneal;
  /** Adam learning rate, annealed per step. */
  learningRate: LinearAnneal;
  /** Adam's beta1, beta2 and epsilon. */
  adam: { beta1: number; beta2: number; epsilon: number };
  /**
   * DRAW steps of each training pass: the model's L when absent, a fixed number, or L drawn per
   * batch from `min..max` (tf-gqn's snapshots were trained with 2..12). Anything but the model's L
   * needs tied DRAW weights; the trained model then renders with any L.
   */
  drawSteps?: number | { min: number; max: number };
}

// The paper's schedules and Adam (docs/model.md), shared by every preset.
const PAPER_TRAINING: TrainingConfig = {
  batchSize: 36,
  contextSize: 5,
  sigma: { ...PAPER_SIGMA_SCHEDULE },
  learningRate: { ...PAPER_LR_SCHEDULE },
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/**
 * The CPU presets' schedules: the paper's sigma, 2.0 -> 0.7, and Adam 1e-3 -> 1e-4, both annealed
 * over the run's thousands of steps instead of the paper's 2e5 and 1.6e6. Under the paper's own
 * schedules a CPU-length run keeps sigma near 2.0 and Adam near 5e-4 throughout, and a documented
 * tiny run learned nothing (KL about 0.1 nats, PSNR below the mean training image). The recipe
 * study (examples/train-synthetic/README.md) found this recipe the best of those tried on the whole
 * image and on objects, in the PyTorch reference and in ours (4,000 tiny steps: mean of 16 +0.36 dB
 * over the context average against +0.26 for sigma 0.4 -> 0.3, objects 7.34 dB against 7.00), at
 * the price of a lower KL (about 5 nats against 43): its samples vary little. `steps` is the run
 * length the schedules span (gqn-train's `--steps`, the main job's budget), at least one: a run of
 * 0 steps (save the start, train nothing) gets schedules of one step.
 */
export function cpuSchedules(steps: number): Pick<TrainingConfig, "sigma" | "learningRate"> {
  const span = Math.max(1, steps);
  return {
    sigma: { start: 2.0, end: 0.7, steps: span },
    learningRate: { start: 1e-3, end: 1e-4, steps: span },
  };
}

/**
 * The training settings of each of @gqn/model's presets (`GQN_PRESETS`), under the same names:
 *
 * | preset | batch | K | schedules | source |
 * |---|---|---|---|---|
 * | `tf-gqn` | 36 | 5 | the paper's: sigma 2.0 -> 0.7 over 2e5 steps, Adam 5e-4 -> 5e-5 over 1.6e6 | ogroth/tf-gqn defaults |
 * | `paper` | 36 | 5 | the paper's | Eslami et al. 2018 |
 * | `small` | 8 | 5 | sigma 2.0 -> 0.7, Adam 1e-3 -> 1e-4 over 5,000 steps (about an hour on 2 cores) | ours: CPU-sized |
 * | `tiny` | 4 | 3 | sigma 2.0 -> 0.7, Adam 1e-3 -> 1e-4 over 4,000 steps (about 10 minutes on 2 cores) | ours: tests and smoke runs |
 *
 * Adam's betas and epsilon are the paper's everywhere.
 */
export const TRAINING_PRESETS: Readonly<Record<GqnPresetName, TrainingConfig>> = Object.freeze({
  "tf-gqn": PAPER_TRAINING,
  paper: PAPER_TRAINING,
  small: { ...PAPER_TRAINING, batchSize: 8, ...cpuSchedules(5000) },
  tiny: { ...PAPER_TRAINING, batchSize: 4, contextSize: 3, ...cpuSchedules(4000) },
});

/** The presets whose schedules gqn-train sizes to a run's `--steps` (the CPU ones). */
export const RUN_SIZED_PRESETS: ReadonlySet<string> = new Set<GqnPresetName>(["tiny", "small"]);

/** The training settings of a preset, or @gqn/model's INVALID_CONFIG error that lists the names. */
export function getTrainingPreset(name: string): TrainingConfig {
  getPreset(name);
  return TRAINING_PRESETS[name as GqnPresetName];
}

/**
 * Checks a training config, and the context size against the dataset's views per scene (K
 * context views plus one target must fit in a scene).
 */
export function validateTrainingConfig(training: TrainingConfig, datasetViews?: number): void {
  const where = "validateTrainingConfig";
  checkInteger(training.batchSize, where, "batchSize", { code: "INVALID_CONFIG" });
  const k = training.contextSize;
  const kMax = typeof k === "number" ? k : k.max;
  const kMin = typeof k === "number" ? k : k.min;
  if (!Number.isInteger(kMin) || !Number.isInteger(kMax) || kMin < 1 || kMax < kMin) {
    throw invalid(
      `${where}: contextSize must be a positive integer or { min, max } with 1 <= min <= max, but got ${JSON.stringify(k)}.`,
    );
  }
  if (datasetViews !== undefined && kMax >= datasetViews) {
    throw invalid(
      `${where}: contextSize must be less than the dataset's ${datasetViews} views per scene (K context views + 1 target), but got ${kMax}.`,
    );
  }
  for (const name of ["sigma", "learningRate"] as const) {
    const a = training[name];
    if (!(a.start > 0 && a.end > 0 && a.steps > 0) || ![a.start, a.end, a.steps].every(Number.isFinite)) {
      throw invalid(
        `${where}: ${name} must have positive finite start, end and steps, but got ${JSON.stringify(a)}.`,
      );
    }
  }
  const l = training.drawSteps;
  if (l !== undefined) {
    const [lMin, lMax] = typeof l === "number" ? [l, l] : [l?.min, l?.max];
    if (
      !Number.isInteger(lMin) ||
      !Number.isInteger(lMax) ||
      (lMin as number) < 1 ||
      (lMax as number) < (lMin as number)
    ) {
      throw invalid(
        `${where}: drawSteps must be a positive integer or { min, max } with 1 <= min <= max, but got ${JSON.stringify(l)}.`,
      );
    }
  }
  const { beta1, beta2, epsilon } = training.adam;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0)) {
    throw invalid(
      `${where}: adam must have 0 <= beta1, beta2 < 1 and epsilon > 0, but got ${JSON.stringify(training.adam)}.`,
    );
  }
}

/**
 * Checks that the model can train with the config's DRAW steps: another L than the model's, or a
 * drawn one, needs tied DRAW weights (one core for every step).
 */
export function checkDrawSteps(config: GqnConfig, training: TrainingConfig): void {
  const l = training.drawSteps;
  if (l === undefined || config.draw.tied) return;
  if (
    typeof l === "number"
      ? l !== config.draw.steps
      : l.min !== config.draw.steps || l.max !== config.draw.steps
  ) {
    throw invalid(
      `checkDrawSteps: drawSteps ${JSON.stringify(l)} needs tied DRAW weights, but the model has one weight set per step (draw.tied false, L ${config.draw.steps}); set draw.tied, or drop drawSteps.`,
    );
  }
}

/** The DRAW steps of training step `stepIndex`: fixed, or drawn reproducibly (the same on resume). */
export function drawStepsAt(training: TrainingConfig, defaultSteps: number, stepIndex: number): number {
  const l = training.drawSteps;
  if (l === undefined) return defaultSteps;
  if (typeof l === "number") return l;
  const span = l.max - l.min + 1;
  return l.min + (deriveSeed(stepIndex, "draw steps") % span);
}

function invalid(message: string): GqnError {
  return new GqnError("INVALID_CONFIG", message);
}

/**
 * A new run's configs: the preset's model config with `model` laid over it (validated:
 * INVALID_CONFIG), and its training config with `training` (checked when the run opens).
 */
export function presetConfigs(
  preset: string,
  model: GqnConfigOverrides | undefined,
  training: Partial<TrainingConfig>,
): { model: GqnConfig; training: TrainingConfig } {
  return {
    model: resolveGqnConfig(getPreset(preset).model, model ?? {}),
    training: { ...getTrainingPreset(preset), ...training },
  };
}
