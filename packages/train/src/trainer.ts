import { checkInteger, deriveSeed, GqnError } from "@gqn/core";
import { bitsPerDim, type GqnBatch, type GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { type NamedTensor, readAdamState, writeAdamState } from "./adam-state.js";
import { annealed } from "./schedules.js";
import {
  checkDrawSteps,
  drawStepsAt,
  type TrainingConfig,
  validateTrainingConfig,
} from "./training-config.js";

export type { NamedTensor } from "./adam-state.js";

/** What one {@link Trainer.step} reports (numbers; nats per image unless said otherwise). */
export interface StepMetrics {
  /** Updates applied so far, this one included (`stepIndex + 1`): the step of `log.jsonl`. */
  step: number;
  /** The negative ELBO (the loss: NLL + KL), before this update. */
  elbo: number;
  /** Gaussian NLL of the target at `sigma`, summed over pixels. */
  nll: number;
  /** KL summed over DRAW steps and latents. */
  kl: number;
  /** `elbo` in bits per pixel channel. */
  bitsPerDim: number;
  /** The learning rate this update used. */
  lr: number;
  /** The pixel sigma this step used. */
  sigma: number;
  /** The DRAW steps L of this step's pass (drawn per step when `drawSteps` is a range). */
  drawSteps: number;
  /** Wall time of the step in milliseconds (forward, backward, checks and update). */
  stepMs: number;
}

/** Per-call options of {@link Trainer.step}. */
export interface StepOptions {
  /** Seed of the posterior samples; default derived from the step index (reproducible). */
  seed?: number;
}

/**
 * Where a trainer's gradients come from when they are not computed on this thread: e.g.
 * `createDataParallel` of `@gqn/backend/node` with {@link gqnReplica} replicas of the model.
 * Called with the batch's `contextFrames`, `contextPoses`, `queryPose` and `target` and a context
 * of `{ sigma, seed, steps }` (steps: the pass's DRAW steps); returns the batch-mean loss, the `nll` and `kl` metrics and the gradients
 * by variable name (owned by the trainer once returned).
 */
export interface GradientSource {
  computeGradients(
    inputs: Readonly<Record<string, tf.Tensor>>,
    context: { sigma: number; seed: number; steps: number },
  ): Promise<{ loss: number; metrics: Readonly<ElboMetrics>; grads: tf.NamedTensorMap }>;
}

/** The ELBO's terms a gradient source reports (batch means, nats per image), among any others. */
export type ElboMetrics = Record<"nll" | "kl", number> & Record<string, number>;

/** Options of {@link createTrainer}. */
export interface TrainerOptions {
  /** Compute the gradients there (data-parallel workers) instead of on this thread. */
  gradients?: GradientSource;
}

/** Adam on a {@link GqnModel}, with the annealed learning rate and pixel sigma. */
export interface Trainer {
  /** The optimizer (its moments are what {@link Trainer.getOptimizerState} returns). */
  readonly optimizer: tf.AdamOptimizer;
  /** The training config (validated). */
  readonly training: TrainingConfig;
  /**
   * One update at `stepIndex` (the number of updates applied before it): sets the learning rate
   * and sigma from the schedules, computes the loss and its gradients, and applies them.
   *
   * @throws GqnError `NON_FINITE` naming the step and the term (NLL, KL, the loss, or a weight's
   *   gradient) when a value is NaN or infinite. Nothing is applied then: the weights and the
   *   Adam moments stay as they were.
   */
  step(batch: GqnBatch, stepIndex: number, options?: StepOptions): Promise<StepMetrics>;
  /**
   * The Adam state: `iter` (updates applied), the first and then the second moments of every
   * weight in {@link GqnModel.trainableWeights} order (tfjs's `Optimizer.getWeights` layout),
   * then `adam/beta1_power` and `adam/beta2_power` (the running bias-correction products).
   * Copies, owned by the caller.
   */
  getOptimizerState(): Promise<NamedTensor[]>;
  /**
   * Restores a state from {@link Trainer.getOptimizerState} (tensors borrowed; the two power
   * entries are optional, for states saved by `Optimizer.getWeights`): the next steps are the
   * ones the saved trainer would have made, bit for bit when the powers are given.
   *
   * @throws GqnError `INVALID_ARGUMENT` when the state does not fit the model's weights.
   */
  setOptimizerState(state: NamedTensor[]): Promise<void>;
  /** Frees the optimizer's tensors (not the model's). */
  dispose(): void;
}

/**
 * Creates the trainer of `model`: Adam(beta1, beta2, epsilon) from `training.adam`, the learning
 * rate `annealed(training.learningRate, t)` and sigma `annealed(training.sigma, t)` at step t.
 *
 * @throws GqnError `INVALID_CONFIG` for an invalid training config (before any tensor is made).
 */
export function createTrainer(
  model: GqnModel,
  training: TrainingConfig,
  trainerOptions: TrainerOptions = {},
): Trainer {
  validateTrainingConfig(training);
  checkDrawSteps(model.config, training);
  const { beta1, beta2, epsilon } = training.adam;
  const optimizer = tf.train.adam(annealed(training.learningRate, 0), beta1, beta2, epsilon);
  // The rate is a protected field that applyGradients reads at each call.
  const setLearningRate = (lr: number) => {
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
  };
  let disposed = false;
  let busy = false;

  const step = async (
    batch: GqnBatch,
    stepIndex: number,
    options: StepOptions = {},
  ): Promise<StepMetrics> => {
    if (disposed) throw new GqnError("INVALID_ARGUMENT", "Trainer.step: the trainer was disposed.");
    checkInteger(stepIndex, "Trainer.step", "stepIndex", { min: 0 });
    if (busy) throw new GqnError("INVALID_ARGUMENT", "Trainer.step: a step is already running.");
    busy = true;
    try {
      const started = performance.now();
      const sigma = annealed(training.sigma, stepIndex);
      const lr = annealed(training.learningRate, stepIndex);
      const seed = options.seed ?? stepSeed(stepIndex);
      const steps = drawStepsAt(training, model.config.draw.steps, stepIndex);
      const pass = { sigma, seed, steps };
      const weights = model.trainableWeights;
      const variables = weights.map((w) => w.read() as tf.Variable);
      const { loss, nllValue, klValue, grads, gradChecks } = await (trainerOptions.gradients
        ? remoteGradients(trainerOptions.gradients, batch, pass, variables)
        : localGradients(model, batch, pass, variables));
      try {
        const bad = nonFiniteTerm(
          gradChecks,
          [loss, nllValue, klValue],
          weights.map((w) => w.originalName),
          variables.map((v) => v.name),
        );
        if (bad) {
          throw new GqnError(
            "NON_FINITE",
            `Trainer.step: step ${stepIndex + 1}: ${bad}; no update was applied (sigma ${sigma}, lr ${lr}).`,
          );
        }
        setLearningRate(lr);
        optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
        const [, h, w, c] = batch.target.shape;
        return {
          step: stepIndex + 1,
          elbo: loss,
          nll: nllValue,
          kl: klValue,
          bitsPerDim: bitsPerDim(loss, h * w * c),
          lr,
          sigma,
          drawSteps: steps,
          stepMs: performance.now() - started,
        };
      } finally {
        tf.dispose(Object.values(grads));
      }
    } finally {
      busy = false;
    }
  };

  const getOptimizerState = (): Promise<NamedTensor[]> => readAdamState(optimizer);
  const setOptimizerState = (state: NamedTensor[]): Promise<void> =>
    writeAdamState(
      optimizer,
      state,
      model.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape as number[] })),
      "Trainer.setOptimizerState",
    );

  return {
    optimizer,
    training,
    step,
    getOptimizerState,
    setOptimizerState,
    dispose() {
      if (disposed) return;
      disposed = true;
      optimizer.dispose();
    },
  };
}

/** The default posterior seed of step t: distinct per step, the same on a resumed run. */
function stepSeed(stepIndex: number): number {
  return deriveSeed(stepIndex, "training step");
}

/** A step's loss terms and gradients, with one finiteness probe per gradient (by variable name). */
interface StepGradients {
  loss: number;
  nllValue: number;
  klValue: number;
  grads: tf.NamedTensorMap;
  /** `sum(g * 0)` of each gradient: 0 when every value is finite, NaN otherwise. */
  gradChecks: ReadonlyMap<string, number>;
}

/** What one step's pass uses: the pixel sigma, the posterior seed and the DRAW steps. */
interface PassSettings {
  sigma: number;
  seed: number;
  steps: number;
}

async function localGradients(
  model: GqnModel,
  batch: GqnBatch,
  { sigma, seed, steps }: PassSettings,
  variables: tf.Variable[],
): Promise<StepGradients> {
  let nll: tf.Scalar | undefined;
  let kl: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const terms = model.lossTerms(batch, sigma, { seed, steps });
    nll = tf.keep(terms.nll);
    kl = tf.keep(terms.kl);
    return terms.loss;
  }, variables);
  try {
    const { scalars, gradChecks } = await readChecks(
      [value, nll as tf.Scalar, kl as tf.Scalar],
      variables,
      grads,
    );
    const [loss = Number.NaN, nllValue = Number.NaN, klValue = Number.NaN] = scalars;
    return { loss, nllValue, klValue, grads, gradChecks };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    tf.dispose([value, nll, kl].filter((t): t is tf.Scalar => t !== undefined));
  }
}

async function remoteGradients(
  source: GradientSource,
  batch: GqnBatch,
  pass: PassSettings,
  variables: tf.Variable[],
): Promise<StepGradients> {
  const { contextFrames, contextPoses, queryPose, target } = batch;
  const { loss, metrics, grads } = await source.computeGradients(
    { contextFrames, contextPoses, queryPose, target },
    { ...pass },
  );
  try {
    const { nll, kl } = metrics;
    if (nll === undefined || kl === undefined) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `Trainer.step: the gradient source must report the nll and kl metrics, but reported [${Object.keys(metrics).join(", ")}].`,
      );
    }
    const { gradChecks } = await readChecks([], variables, grads);
    return { loss, nllValue: nll, klValue: kl, grads, gradChecks };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  }
}

/**
 * Reads `scalars` and one finiteness probe per variable's gradient in a single download:
 * x * 0 is 0 for finite x and NaN for NaN or +-Infinity.
 */
async function readChecks(
  scalars: tf.Scalar[],
  variables: tf.Variable[],
  grads: tf.NamedTensorMap,
): Promise<{ scalars: number[]; gradChecks: Map<string, number> }> {
  const packed = tf.tidy(() =>
    tf.stack([
      ...scalars,
      ...variables.map((v) => {
        const g = grads[v.name];
        return g ? tf.sum(tf.mul(g, 0)) : tf.scalar(0);
      }),
    ]),
  );
  const values = await packed.data();
  packed.dispose();
  return {
    scalars: Array.from(values.subarray(0, scalars.length)),
    gradChecks: new Map(variables.map((v, i) => [v.name, values[scalars.length + i] as number])),
  };
}

/** Names the first non-finite value: a loss term, or a weight's gradient. */
function nonFiniteTerm(
  gradChecks: ReadonlyMap<string, number>,
  terms: number[],
  weightNames: string[],
  variableNames: string[],
): string | undefined {
  const what = (x: number) => (Number.isNaN(x) ? "NaN" : "infinite");
  const [loss = 0, nll = 0, kl = 0] = terms;
  if (!Number.isFinite(nll)) return `the NLL term is ${what(nll)}`;
  if (!Number.isFinite(kl)) return `the KL term is ${what(kl)}`;
  if (!Number.isFinite(loss)) return `the loss is ${what(loss)}`;
  for (let i = 0; i < variableNames.length; i++) {
    const check = gradChecks.get(variableNames[i] as string) ?? 0;
    if (!Number.isFinite(check)) return `the gradient of ${weightNames[i]} is not finite`;
  }
  return undefined;
}
