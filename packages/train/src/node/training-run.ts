// One training run's loop and its state: the step, evaluations, checkpoints and logs. Opening a
// run (open-run.ts) builds what it reads; train() runs it and closes what was opened.
import { GqnError, isGqnError, type Random } from "@gqn/core";
import type { SceneBatch, SceneBatchIterator, SceneBatchState } from "@gqn/data/node";
import type { EvalMetrics, GqnConfig, GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { annealed } from "../schedules.js";
import type { Trainer } from "../trainer.js";
import type { TrainingConfig } from "../training-config.js";
import { recordCheckpointEval, saveCheckpoint } from "./checkpoint.js";
import type { Evaluator } from "./evaluator.js";
import type { LogRecord, RunLog } from "./run-log.js";
import type { TensorBoardWriter } from "./tensorboard-writer.js";
import type { OptionNames, ResolvedTrainOptions } from "./train-options.js";
import type { TrainProgress } from "./train-progress.js";

/** Why train() returned. */
export type StopReason = "steps" | "time" | "abort";

/** The run state saved in each checkpoint's `state.json` (the step is added by saveCheckpoint). */
export interface TrainState {
  gqnConfig: GqnConfig;
  trainingConfig: TrainingConfig;
  dataset: string;
  seed: number;
  /** The training batches' position (createSceneBatches `getState()`). */
  dataState: SceneBatchState;
  /** The latent-noise generator's state (`Random.getState()`). */
  rngState: number;
  lastEval?: EvalMetrics & { step: number };
}

/** The model side of a run, new or resumed: what opening a run gives the loop. */
export interface RunModel {
  /** The run's model: its `config` is the run's, saved in each checkpoint with its weights. */
  model: GqnModel;
  trainer: Trainer;
  trainingConfig: TrainingConfig;
  /** Updates applied so far (0 for a new run). */
  step: number;
  /** The latent noise of the training steps. */
  rng: Random;
  /** Where the training batches carry on from (a resumed run with the same batches). */
  dataState?: SceneBatchState;
  lastEval?: EvalMetrics & { step: number };
  /** The checkpoint a resumed run started from. */
  checkpoint?: string;
}

/** Everything a {@link TrainingRun} reads, opened before it starts. */
export interface TrainingRunSetup {
  options: ResolvedTrainOptions;
  names: OptionNames;
  model: RunModel;
  batches: SceneBatchIterator;
  runLog: RunLog;
  board: TensorBoardWriter | undefined;
  /** Absent when the dataset has no test split: no evaluations, no image grids. */
  evaluator: Evaluator | undefined;
  say: (line: string) => void;
}

/** One training run's loop and its state: the step, evaluations, checkpoints and logs. */
export class TrainingRun {
  step: number;
  readonly startStep: number;
  lastEval: (EvalMetrics & { step: number }) | undefined;
  /** Whether this call evaluated (lastEval may be an earlier call's, carried in the checkpoint). */
  evaluated = false;
  lastCheckpoint: string | undefined;
  stopReason: StopReason | undefined;
  private savedStep: number;
  private windowStart = Date.now();
  private windowSteps = 0;
  private readonly o: ResolvedTrainOptions;
  private readonly run: RunModel;

  constructor(private readonly setup: TrainingRunSetup) {
    this.o = setup.options;
    this.run = setup.model;
    this.step = this.run.step;
    this.startStep = this.run.step;
    this.lastEval = this.run.lastEval;
    this.lastCheckpoint = this.run.checkpoint;
    this.savedStep = this.run.checkpoint ? this.run.step : -1;
  }

  /** Trains until the steps, the time budget or an abort, then evaluates and checkpoints. */
  async train(started: number, progress: TrainProgress | undefined): Promise<void> {
    const { o, run } = this;
    const { say } = this.setup;
    const k = run.trainingConfig.contextSize;
    say(
      `[gqn] training ${o.model || o.initFrom || run.checkpoint ? "" : `preset ${o.preset}, `}${run.model.config.frameSize} px on ${o.dataset}: batch ${run.trainingConfig.batchSize}, K ${typeof k === "number" ? k : `${k.min}-${k.max}`}, steps ${this.step} -> ${o.steps}${o.maxMinutes !== undefined ? ` or ${o.maxMinutes} min` : ""}; run dir ${o.modelDir}`,
    );
    if (!this.setup.evaluator) say(`[gqn] ${o.dataset} has no test split: no evaluations, no image grids.`);
    const deadline = o.maxMinutes !== undefined ? started + o.maxMinutes * 60_000 : Number.POSITIVE_INFINITY;
    // A new run's first evaluation gives the curves their starting point.
    if (this.step === 0 && o.evalEvery > 0 && o.steps > 0) await this.evaluateNow();
    while (this.step < o.steps) {
      if (o.signal?.aborted) {
        this.stopReason = "abort";
        break;
      }
      if (Date.now() >= deadline) {
        this.stopReason = "time";
        say(`[gqn] time budget of ${o.maxMinutes} min spent at step ${this.step}: saving and stopping.`);
        break;
      }
      await this.trainStep(progress);
      await this.afterStep();
    }
    this.stopReason ??= "steps";
    // The steps are saved before the final evaluation, so that a failing one costs none of them.
    await this.checkpointNow();
    // No final evaluation when asked to stop: the user wants the checkpoint, now.
    if (this.stopReason !== "abort" && this.lastEval?.step !== this.step) await this.evaluateNow();
  }

  /** One update on the next batch, with its progress line and log record. */
  private async trainStep(progress: TrainProgress | undefined): Promise<void> {
    const { o, run } = this;
    const { batches } = this.setup;
    const next = await batches.next();
    if (next.done) {
      throw new GqnError(
        "IO_ERROR",
        `train: the training batches of ${o.dataset} ended at step ${this.step}.`,
      );
    }
    const batch: SceneBatch = next.value;
    this.checkSkipped();
    let metrics: Awaited<ReturnType<Trainer["step"]>>;
    try {
      metrics = await run.trainer.step(batch, this.step, { seed: run.rng.fork() });
    } finally {
      batch.dispose();
    }
    this.step++;
    this.windowSteps++;
    const now = Date.now();
    const stepsPerSecond = (this.windowSteps * 1000) / Math.max(1, now - this.windowStart);
    const skipped = batches.skipped.length > 0 ? skippedPerFile(batches.skipped) : undefined;
    progress?.update(this.step, { ...metrics, stepsPerSecond, ...(skipped && { skipped }) });
    if (this.step % o.logEvery === 0 || o.debug || this.step === o.steps) {
      await this.record({
        split: "train",
        step: this.step,
        elbo: metrics.elbo,
        nll: metrics.nll,
        kl: metrics.kl,
        bitsPerDim: metrics.bitsPerDim,
        lr: metrics.lr,
        sigma: metrics.sigma,
        ...(metrics.drawSteps !== undefined && { drawSteps: metrics.drawSteps }),
        ...(skipped && { skipped }),
        stepMs: metrics.stepMs,
        stepsPerSecond,
        time: new Date(now).toISOString(),
      });
      if (o.debug && !progress) {
        this.setup.say(
          `[gqn] step ${this.step}: ELBO ${metrics.elbo.toFixed(2)} NLL ${metrics.nll.toFixed(2)} KL ${metrics.kl.toFixed(3)} (${metrics.stepMs} ms)`,
        );
      }
      this.windowStart = now;
      this.windowSteps = 0;
    }
  }

  /** The periodic evaluation (or grid), and checkpoint, due at this step. */
  private async afterStep(): Promise<void> {
    const { o, step } = this;
    // Save first: a failing evaluation or grid then costs no step (its checkpoint gets the figures after).
    if (o.checkpointEvery > 0 && step % o.checkpointEvery === 0) await this.checkpointNow();
    if (o.evalEvery > 0 && step % o.evalEvery === 0) await this.evaluateNow();
    else if (o.renderEvery > 0 && step % o.renderEvery === 0) {
      const { evaluator } = this.setup;
      if (evaluator) await this.guarded(() => evaluator.renderGrid(step));
    }
  }

  /**
   * Bad records skipped (onCorrupt "skip") against the records read by the data stream (its
   * read-ahead included, so a bad record met early is not measured against the few consumed):
   * too many is a broken dataset.
   */
  private checkSkipped(): void {
    const { skipped } = this.setup.batches;
    if (skipped.length === 0) return;
    const { records: read, bad } = this.setup.batches.readCounts();
    const max = this.o.maxSkippedFraction;
    if (bad > max * read) {
      const { where, option } = this.setup.names;
      throw new GqnError(
        "CORRUPT_RECORD",
        `${where}: ${bad} of the ${read} training records read were bad (${((100 * bad) / read).toFixed(1)}%, more than ${option("maxSkippedFraction")} ${max}); the last: ${skipped[skipped.length - 1]?.error.message ?? "?"} Run gqn-data verify --decode on the data.`,
      );
    }
  }

  private async record(r: LogRecord): Promise<void> {
    await this.setup.runLog.append(r);
    this.setup.board?.scalars(r.step, scalarsOf(r));
    this.o.onLog?.(r);
  }

  /**
   * Runs an evaluation's work; when it fails, saves the steps not yet saved before passing the
   * error on, naming the checkpoint that holds them.
   */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const trained = this.step > this.startStep;
      if (trained) await this.checkpointNow();
      const message = error instanceof Error ? error.message : String(error);
      const { where, option } = this.setup.names;
      const kept = trained
        ? `The ${this.step} steps are saved in ${this.lastCheckpoint}: resume from it (${option("resume")}) once the test split reads (gqn-data verify), or with`
        : "No step was lost (none was trained yet): start again once the test split reads (gqn-data verify), or with";
      throw new GqnError(
        isGqnError(error) ? error.code : "IO_ERROR",
        `${where}: the evaluation on the test split at step ${this.step} failed: ${message.replace(/\.?$/, ".")} ${kept} ${option("onCorrupt")} skip to pass over bad test records.`,
        { cause: error },
      );
    }
  }

  private async evaluateNow(): Promise<void> {
    const { evaluator, say } = this.setup;
    if (!evaluator) return;
    const { o, step, run } = this;
    const t0 = Date.now();
    const result = await this.guarded(() =>
      evaluator.evaluate(step, { grid: o.renderEvery > 0 && step % o.renderEvery === 0 }),
    );
    const { objects: _objects, ...metrics } = result; // the checkpoint keeps the EvalMetrics
    this.lastEval = { ...metrics, step };
    this.evaluated = true;
    // The checkpoint of this step was saved before the evaluation: it gets the figures now.
    if (this.savedStep === step && this.lastCheckpoint)
      await recordCheckpointEval(this.lastCheckpoint, this.lastEval);
    await this.record({
      split: "test",
      step,
      elbo: result.elbo,
      nll: result.nll,
      kl: result.kl,
      bitsPerDim: result.bitsPerDim,
      mse: result.mse,
      psnr: result.psnr,
      ...(result.objects && {
        objectPsnr: result.objects.objectPsnr,
        backgroundPsnr: result.objects.backgroundPsnr,
        objectIou: result.objects.iou,
      }),
      lr: annealed(run.trainingConfig.learningRate, step),
      sigma: annealed(run.trainingConfig.sigma, step),
      stepMs: Date.now() - t0,
      time: new Date().toISOString(),
    });
    const objects = result.objects
      ? `; objects ${result.objects.objectPsnr.toFixed(2)} dB, background ${result.objects.backgroundPsnr.toFixed(2)} dB, IoU ${result.objects.iou.toFixed(3)}`
      : "";
    say(
      `[gqn] eval at step ${step}: ELBO ${result.elbo.toFixed(1)} nats (${result.bitsPerDim.toFixed(3)} bits/dim), MSE ${result.mse.toFixed(5)}, PSNR ${result.psnr.toFixed(2)} dB${objects}`,
    );
  }

  private async checkpointNow(): Promise<void> {
    if (this.savedStep === this.step) return;
    const { o, run } = this;
    const state: TrainState = {
      gqnConfig: run.model.config,
      trainingConfig: run.trainingConfig,
      dataset: o.dataset,
      seed: o.seed,
      dataState: this.setup.batches.getState(),
      rngState: run.rng.getState(),
      ...(this.lastEval && { lastEval: this.lastEval }),
    };
    const optimizerState = await run.trainer.getOptimizerState();
    try {
      this.lastCheckpoint = await saveCheckpoint({
        modelDir: o.modelDir,
        step: this.step,
        model: run.model.toLayersModel(),
        optimizerState,
        state: state as unknown as Record<string, unknown>,
        keep: o.keepCheckpoints,
      });
    } finally {
      tf.dispose(optimizerState.map((w) => w.tensor));
    }
    this.savedStep = this.step;
  }
}

/** The distinct bad records skipped so far, counted per file (`log.jsonl`'s `skipped`). */
function skippedPerFile(skipped: SceneBatchIterator["skipped"]): Record<string, number> {
  const seen = new Set<string>();
  const counts: Record<string, number> = {};
  for (const { file, record } of skipped) {
    const key = `${file}#${record}`;
    if (seen.has(key)) continue;
    seen.add(key);
    counts[file ?? "?"] = (counts[file ?? "?"] ?? 0) + 1;
  }
  return counts;
}

function scalarsOf(r: LogRecord): Record<string, number | undefined> {
  const prefix = r.split;
  return {
    [`${prefix}/elbo`]: r.elbo,
    [`${prefix}/nll`]: r.nll,
    [`${prefix}/kl`]: r.kl,
    [`${prefix}/bits_per_dim`]: r.bitsPerDim,
    [`${prefix}/mse`]: r.mse,
    [`${prefix}/psnr`]: r.psnr,
    [`${prefix}/object_psnr`]: r.objectPsnr,
    [`${prefix}/background_psnr`]: r.backgroundPsnr,
    [`${prefix}/object_iou`]: r.objectIou,
    ...(r.split === "train" && {
      "train/lr": r.lr,
      "train/sigma": r.sigma,
      "train/steps_per_second": r.stepsPerSecond,
    }),
  };
}
