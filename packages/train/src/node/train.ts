import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BackendRequest, initBackend } from "@gqn/backend";
import {
  createDataParallel,
  type OnnxConvAccelerator,
  tryEnableOnnxConvAccelerator,
} from "@gqn/backend/node";
import { deriveSeed, GqnError, isGqnError, Random } from "@gqn/core";
import {
  type ContextSize,
  createSceneBatches,
  type DatasetInfo,
  encodePng,
  readDatasetInfo,
  type SceneBatch,
  type SceneBatchIterator,
  type SceneBatchState,
} from "@gqn/data/node";
import {
  annealed,
  type EvalMetrics,
  type GqnConfigOverrides,
  type GqnPresetName,
  imageGrid,
  type TrainingConfig,
} from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { GradientSource } from "../trainer.js";
import {
  latestCheckpoint,
  loadCheckpoint,
  removeStaleCheckpointFiles,
  restoreOptimizer,
  saveCheckpoint,
} from "./checkpoint.js";
import { EvalProgress } from "./eval-progress.js";
import {
  gqnModelFactory,
  type LoopTrainer,
  type ModelConfig,
  type ModelFactory,
  type TrainableModel,
} from "./gqn-factory.js";
import { requireDirectory } from "./require-directory.js";
import { type LogRecord, RunLog } from "./run-log.js";
import { TensorBoardWriter } from "./tensorboard-writer.js";
import { TrainProgress } from "./train-progress.js";

/** Options of {@link train}. Only `dataDir`, `dataset` and `modelDir` are required. */
export interface TrainOptions {
  /** The directory holding `<dataset>/<train|test>/*.tfrecord` (and `dataset.json` for custom data). */
  dataDir: string;
  /** A published dataset name, or a directory of `dataDir` with a `dataset.json`. */
  dataset: string;
  /** Where the run lives: `checkpoints/`, `log.jsonl`, `tensorboard/`, `images/`. */
  modelDir: string;
  /**
   * The model and training preset of a new run (`GQN_PRESET_NAMES`: `tiny`, `small`, `tf-gqn`,
   * `paper`); default `"small"`. Ignored on resume (the checkpoint's config wins).
   */
  preset?: GqnPresetName;
  /** Overrides of the preset's model config (new runs only). */
  model?: GqnConfigOverrides;
  /** Overrides of the preset's training config (schedules, Adam). */
  training?: Partial<TrainingConfig>;
  /** Scenes per batch; default the preset's. */
  batchSize?: number;
  /** Context views per scene: fixed K or `{ min, max }` drawn per batch; default the preset's. */
  contextSize?: ContextSize;
  /**
   * Train until this many updates have been applied in total (a resumed run counts its earlier
   * steps); default 2,000,000 (the paper's). With `maxMinutes`, whichever comes first.
   */
  steps?: number;
  /** Stop cleanly (checkpoint included) once this much wall-clock time is spent. */
  maxMinutes?: number;
  /** Pick and initialise a tfjs backend first; default: leave the current one. */
  backend?: BackendRequest;
  /**
   * On the wasm backend, run the large convolutions with onnxruntime-node (@gqn/backend's
   * accelerator: ~3.5x faster tiny steps here) for the duration of the run: `"onnx"` (or `"auto"`)
   * when onnxruntime-node is installed, with a log line either way; default `"none"`.
   */
  accelerator?: "auto" | "onnx" | "none";
  /** Seeds the weights, the data order and the latents; default 1. */
  seed?: number;
  /** Continue from the newest checkpoint in `modelDir` (a new run when there is none). */
  resume?: boolean;
  /** Log a train record every N steps (log.jsonl, TensorBoard, `onLog`); default 10. */
  logEvery?: number;
  /** Evaluate on the test split every N steps (0: only at the end); default 500. */
  evalEvery?: number;
  /** Test batches per evaluation; default 1. The same scenes every time, so curves compare. */
  evalBatches?: number;
  /** Write a PNG grid (context | target | prediction) every N steps (0: never); default 1000. */
  renderEvery?: number;
  /** Save a checkpoint every N steps (also at the end and on SIGINT/SIGTERM); default 1000. */
  checkpointEvery?: number;
  /** Checkpoints kept, newest first; default 3. */
  keepCheckpoints?: number;
  /** JPEG decoding threads of the data loader (0: decode on the main thread); default @gqn/data's. */
  dataWorkers?: number;
  /**
   * Refuse a partial download: every published shard must be present. Default false: the shards
   * present are used, with a line saying how many.
   */
  requireAllShards?: boolean;
  /**
   * A bad training record (CRC, payload, non-finite camera, undecodable frame): stop with an error
   * naming its file, record and offset (`"error"`, the default), or skip it with a log line
   * (`"skip"`), counted per file in `log.jsonl`.
   */
  onCorrupt?: "error" | "skip";
  /** With `onCorrupt: "skip"`, stop once more than this share of the records read are bad; default 0.01. */
  maxSkippedFraction?: number;
  /**
   * Data-parallel replicas, this thread's included (`workers - 1` worker threads, each with its
   * own tfjs engine and, with the accelerator, one onnxruntime thread): each computes the
   * gradient of its share of the batch and one Adam step is taken here. Default 1: on the
   * 2-core development machine two workers were not reliably faster (docs/performance.md);
   * measure with `pnpm bench:train` first.
   */
  workers?: number;
  /**
   * Most scenes one forward + backward pass holds; larger batches (or worker shares) run in
   * chunks whose gradients are averaged. Bounds the memory that grows with the batch: on wasm
   * (4 GB heap) `tf-gqn` needs 1. Default: no limit.
   */
  microBatchSize?: number;
  /** Show the progress bar; default when stderr is a terminal. */
  progress?: boolean;
  /** Write TensorBoard event files; default true. */
  tensorboard?: boolean;
  /**
   * Stops the run cleanly, with a checkpoint and without a final evaluation, when aborted. A
   * command line aborts it on Ctrl-C ({@link stopOnSignals}); train() installs no handler.
   */
  signal?: AbortSignal;
  /** Log every step and print more detail. */
  debug?: boolean;
  /** Called with every record written to `log.jsonl`. */
  onLog?: (record: LogRecord) => void;
  /** Where human-readable lines go; default stderr (above the progress bar). */
  log?: (line: string) => void;
}

/** Why {@link train} returned. */
export type StopReason = "steps" | "time" | "abort";

/** What {@link train} returns. */
export interface TrainResult {
  /** Updates applied in total. */
  step: number;
  stoppedBy: StopReason;
  /** The newest evaluation on the test split (undefined without a test split). */
  lastEval?: EvalMetrics & { step: number };
  /** The checkpoint directory saved last. */
  checkpoint?: string;
  modelDir: string;
  /** Wall-clock time of this call. */
  elapsedMs: number;
}

/** The run state saved in each checkpoint's `state.json` (the step is added by saveCheckpoint). */
export interface TrainState {
  gqnConfig: ModelConfig;
  trainingConfig: TrainingConfig;
  dataset: string;
  seed: number;
  /** The training batches' position (createSceneBatches `getState()`). */
  dataState: SceneBatchState;
  /** The latent-noise generator's state (`Random.getState()`). */
  rngState: number;
  lastEval?: EvalMetrics & { step: number };
}

const DEFAULTS = {
  preset: "small" as GqnPresetName,
  steps: 2_000_000,
  seed: 1,
  logEvery: 10,
  evalEvery: 500,
  evalBatches: 1,
  renderEvery: 1000,
  checkpointEvery: 1000,
  keepCheckpoints: 3,
};

/**
 * Trains a GQN: batches from @gqn/data, Adam steps on the annealed ELBO, a progress bar,
 * `log.jsonl` and TensorBoard scalars, periodic evaluation on the test split (ELBO, and MSE and
 * PSNR of the prior's prediction), PNG grids, and atomic checkpoints every `checkpointEvery`
 * steps, at the end, on SIGINT/SIGTERM and when `maxMinutes` is spent. With `resume`, the step,
 * the schedules, the Adam moments, the data order and the latent noise carry on from the newest
 * checkpoint.
 *
 * A non-finite loss, term or gradient stops the run before the update is applied and before
 * anything is saved: the promise rejects with GqnError `NON_FINITE` naming the step and the term,
 * and the last good checkpoint stays the newest.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const o = { ...DEFAULTS, ...definedOnly(options) };
  validateOptions(o);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  let bar: TrainProgress | undefined;
  // Lines go above the progress bar once it is drawn.
  const say = (line: string) => (bar ? bar.log(line) : log(line));

  await requireDirectory(o.dataDir, "train: dataDir");
  const info = await readDatasetInfo(o.dataDir, o.dataset);
  if (options.backend) await initBackend({ backend: options.backend, log: say });
  await mkdir(o.modelDir, { recursive: true });
  await removeStaleCheckpointFiles(o.modelDir);

  // Everything opened below is closed once, in reverse, however the run ends.
  const teardown = new Teardown();
  let run: TrainingRun | undefined;
  let failure: unknown;
  try {
    run = await openTrainingRun(o, options, info, say, teardown);
    if (showProgress) {
      const drawn = new TrainProgress({ total: o.steps, start: run.step });
      bar = drawn;
      teardown.add(() => drawn.stop());
    }
    await run.run(started, bar);
  } catch (error) {
    failure = error;
  }
  const closing = await teardown.run();
  failure ??= closing;
  if (failure !== undefined) throw explainFailure(failure, run);
  const done = run as TrainingRun;
  say(`[gqn] stopped at step ${done.step} (${done.stopReason}); checkpoint ${done.lastCheckpoint}`);
  return {
    step: done.step,
    stoppedBy: done.stopReason ?? "steps",
    ...(done.lastEval && { lastEval: done.lastEval }),
    ...(done.lastCheckpoint && { checkpoint: done.lastCheckpoint }),
    modelDir: o.modelDir,
    elapsedMs: Date.now() - started,
  };
}

/** Cleanups run once, last added first; the first error is returned after all have run. */
class Teardown {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<unknown> {
    let first: unknown;
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        first ??= error;
      }
    }
    return first;
  }
}

/** A NaN says which step was not applied and which checkpoint is the last good one. */
function explainFailure(failure: unknown, run: TrainingRun | undefined): unknown {
  if (!run || !isGqnError(failure) || !(failure.code as string).startsWith("NON_FINITE")) return failure;
  return new GqnError(
    "NON_FINITE",
    `train: step ${run.step + 1} was not applied: ${failure.message.replace(/\.?$/, ".")} Nothing was saved after step ${run.step}; the last good checkpoint is ${run.lastCheckpoint ?? "none (no checkpoint was saved yet)"}.`,
    { cause: failure },
  );
}

/**
 * Opens a run: the accelerator, the model (new or resumed) and its trainer, data-parallel
 * replicas, the training batches, `log.jsonl` and the TensorBoard file, each with its cleanup.
 */
async function openTrainingRun(
  o: ResolvedOptions,
  options: TrainOptions,
  info: DatasetInfo,
  say: (line: string) => void,
  teardown: Teardown,
): Promise<TrainingRun> {
  const factory: ModelFactory = await gqnModelFactory();
  const workers = o.workers ?? 1;
  let accelerator: OnnxConvAccelerator | undefined;
  if ((o.accelerator ?? "none") !== "none" && tf.getBackend() === "wasm") {
    // One replica: onnxruntime's convolutions on every core (threads 0), as bench:train and
    // bench:vs-reference measure it; one thread per replica when the replicas fill the cores.
    accelerator = tryEnableOnnxConvAccelerator({ log: say, threads: workers > 1 ? 1 : 0 });
    const enabled = accelerator;
    if (enabled) teardown.add(() => enabled.disable());
  }
  // What the caller asked the model to be: a resumed run must be of that model.
  const modelAsked = options.preset !== undefined || options.model !== undefined;
  const setup = await openRun(factory, o, modelAsked, info, say, async (model, gqnConfig) => {
    if (workers === 1 && o.microBatchSize === undefined) return undefined;
    if (!factory.replica) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        "train: this model cannot train data-parallel (workers, microBatchSize).",
      );
    }
    const replica = factory.replica(model, gqnConfig, o.seed);
    const parallel = await createDataParallel({
      workers,
      replicaModule: replica.module,
      replicaConfig: replica.config,
      replica: replica.replica,
      ...(accelerator && { onnxThreads: 1 }),
      ...(o.microBatchSize !== undefined && { microBatchSize: o.microBatchSize }),
    });
    teardown.add(() => parallel.dispose());
    say(
      `[gqn] data-parallel: ${workers} replica${workers > 1 ? "s" : ""}${o.microBatchSize !== undefined ? `, micro-batches of at most ${o.microBatchSize}` : ""}.`,
    );
    return parallel;
  });
  teardown.add(() => setup.model.dispose());
  teardown.add(() => setup.trainer.dispose());
  const batches = createSceneBatches({
    dataDir: o.dataDir,
    dataset: o.dataset,
    split: "train",
    batchSize: setup.trainingConfig.batchSize,
    contextSize: setup.trainingConfig.contextSize,
    frameSize: setup.gqnConfig.frameSize,
    seed: o.seed,
    ...(setup.dataState && { state: setup.dataState }),
    ...(o.dataWorkers !== undefined && { workers: o.dataWorkers }),
    ...(o.requireAllShards && { requireAllShards: true }),
    onCorrupt: o.onCorrupt ?? "error",
    warn: say,
  });
  teardown.add(() => batches.close());
  // A resumed run drops the records a crash left beyond its checkpoint, so steps never repeat.
  // A new run (no checkpoint: a crash before the first one) keeps nothing of the old log.
  const runLog = await RunLog.open(join(o.modelDir, "log.jsonl"), {
    dropAfterStep: setup.checkpoint ? setup.step : -1,
  });
  teardown.add(() => runLog.close());
  let board: TensorBoardWriter | undefined;
  if (o.tensorboard !== false) {
    const writer = await TensorBoardWriter.open(join(o.modelDir, "tensorboard"), { step: setup.step });
    board = writer;
    // A TensorBoard file that cannot be finished does not fail a run whose checkpoint is saved.
    teardown.add(() => writer.close().catch(() => {}));
  }
  return new TrainingRun(o, options, info, setup, batches, runLog, board, say);
}

/** One training run's loop and its state: the step, evaluations, checkpoints and logs. */
class TrainingRun {
  step: number;
  lastEval: (EvalMetrics & { step: number }) | undefined;
  lastCheckpoint: string | undefined;
  stopReason: StopReason | undefined;
  private savedStep: number;
  private scenesRead = 0;
  private windowStart = Date.now();
  private windowSteps = 0;
  private readonly kMax: number;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly options: TrainOptions,
    private readonly info: DatasetInfo,
    private readonly setup: RunSetup,
    private readonly batches: SceneBatchIterator,
    private readonly runLog: RunLog,
    private readonly board: TensorBoardWriter | undefined,
    private readonly say: (line: string) => void,
  ) {
    this.step = setup.step;
    this.lastEval = setup.lastEval;
    this.lastCheckpoint = setup.checkpoint;
    this.savedStep = setup.checkpoint ? setup.step : -1;
    const k = setup.trainingConfig.contextSize;
    this.kMax = typeof k === "number" ? k : k.max;
  }

  /** Trains until the steps, the time budget or an abort, then evaluates and checkpoints. */
  async run(started: number, progress: TrainProgress | undefined): Promise<void> {
    const { o, info, setup } = this;
    const k = setup.trainingConfig.contextSize;
    this.say(
      `[gqn] training ${o.model || setup.checkpoint ? "" : `preset ${o.preset}, `}${setup.gqnConfig.frameSize} px on ${o.dataset}: batch ${setup.trainingConfig.batchSize}, K ${typeof k === "number" ? k : `${k.min}-${k.max}`}, steps ${this.step} -> ${o.steps}${o.maxMinutes !== undefined ? ` or ${o.maxMinutes} min` : ""}; run dir ${o.modelDir}`,
    );
    if (info.testFiles < 1) this.say(`[gqn] ${o.dataset} has no test split: no evaluations, no image grids.`);
    const deadline = o.maxMinutes !== undefined ? started + o.maxMinutes * 60_000 : Number.POSITIVE_INFINITY;
    const abort = this.options.signal;
    // A new run's first evaluation gives the curves their starting point.
    if (this.step === 0 && o.evalEvery > 0 && o.steps > 0) await this.evaluateNow();
    while (this.step < o.steps) {
      if (abort?.aborted) {
        this.stopReason = "abort";
        break;
      }
      if (Date.now() >= deadline) {
        this.stopReason = "time";
        this.say(`[gqn] time budget of ${o.maxMinutes} min spent at step ${this.step}: saving and stopping.`);
        break;
      }
      await this.trainStep(progress);
      await this.afterStep();
    }
    this.stopReason ??= "steps";
    // No final evaluation when asked to stop: the user wants the checkpoint, now.
    if (this.stopReason !== "abort" && this.lastEval?.step !== this.step) await this.evaluateNow();
    await this.checkpointNow();
  }

  /** One update on the next batch, with its progress line and log record. */
  private async trainStep(progress: TrainProgress | undefined): Promise<void> {
    const next = await this.batches.next();
    if (next.done) {
      throw new GqnError(
        "IO_ERROR",
        `train: the training batches of ${this.o.dataset} ended at step ${this.step}.`,
      );
    }
    const batch: SceneBatch = next.value;
    this.scenesRead += batch.target.shape[0];
    this.checkSkipped();
    let metrics: Awaited<ReturnType<LoopTrainer["step"]>>;
    try {
      metrics = await this.setup.trainer.step(batch, this.step, { seed: this.setup.rng.fork() });
    } finally {
      batch.dispose();
    }
    this.step++;
    this.windowSteps++;
    const now = Date.now();
    const stepsPerSecond = (this.windowSteps * 1000) / Math.max(1, now - this.windowStart);
    const skipped = this.batches.skipped.length > 0 ? skippedPerFile(this.batches.skipped) : undefined;
    progress?.update(this.step, { ...metrics, stepsPerSecond, ...(skipped && { skipped }) });
    const { o } = this;
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
        this.say(
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
    if (o.evalEvery > 0 && step % o.evalEvery === 0) await this.evaluateNow();
    else if (o.renderEvery > 0 && step % o.renderEvery === 0 && this.info.testFiles > 0) {
      const { model, trainingConfig, gqnConfig } = this.setup;
      await renderGrid(o, model, trainingConfig, gqnConfig.frameSize, this.kMax, step, this.board);
    }
    if (o.checkpointEvery > 0 && step % o.checkpointEvery === 0) await this.checkpointNow();
  }

  /**
   * Bad records skipped (onCorrupt "skip") against the records read: too many is a broken
   * dataset. Each bad record counts once, though every epoch (and the read-ahead) meets it again.
   */
  private checkSkipped(): void {
    const skipped = this.batches.skipped;
    if (skipped.length === 0) return;
    const bad = Object.values(skippedPerFile(skipped)).reduce((a, b) => a + b, 0);
    const read = this.scenesRead + bad;
    const max = this.o.maxSkippedFraction ?? 0.01;
    if (bad > max * read) {
      throw new GqnError(
        "CORRUPT_RECORD",
        `train: ${bad} of the ${read} training records read were bad (${((100 * bad) / read).toFixed(1)}%, more than maxSkippedFraction ${max}); the last: ${skipped[skipped.length - 1]?.error.message ?? "?"} Run gqn-data verify --decode on the data.`,
      );
    }
  }

  private async record(r: LogRecord): Promise<void> {
    await this.runLog.append(r);
    this.board?.scalars(r.step, scalarsOf(r));
    this.options.onLog?.(r);
  }

  private async evaluateNow(): Promise<void> {
    if (this.info.testFiles < 1) return;
    const { o, step, setup } = this;
    const t0 = Date.now();
    const renderGridToo = o.renderEvery > 0 && step % o.renderEvery === 0;
    const result = await evaluate(
      o,
      setup.model,
      setup.trainingConfig,
      setup.gqnConfig.frameSize,
      this.kMax,
      step,
      renderGridToo,
      this.board,
      this.say,
    );
    this.lastEval = { ...result, step };
    await this.record({
      split: "test",
      step,
      elbo: result.elbo,
      nll: result.nll,
      kl: result.kl,
      bitsPerDim: result.bitsPerDim,
      mse: result.mse,
      psnr: result.psnr,
      lr: annealed(setup.trainingConfig.learningRate, step),
      sigma: annealed(setup.trainingConfig.sigma, step),
      stepMs: Date.now() - t0,
      time: new Date().toISOString(),
    });
    this.say(
      `[gqn] eval at step ${step}: ELBO ${result.elbo.toFixed(1)} nats (${result.bitsPerDim.toFixed(3)} bits/dim), MSE ${result.mse.toFixed(5)}, PSNR ${result.psnr.toFixed(2)} dB`,
    );
  }

  private async checkpointNow(): Promise<void> {
    if (this.savedStep === this.step) return;
    const { o, setup } = this;
    const state: TrainState = {
      gqnConfig: setup.gqnConfig,
      trainingConfig: setup.trainingConfig,
      dataset: o.dataset,
      seed: o.seed,
      dataState: this.batches.getState(),
      rngState: setup.rng.getState(),
      ...(this.lastEval && { lastEval: this.lastEval }),
    };
    this.lastCheckpoint = await saveCheckpoint({
      modelDir: o.modelDir,
      step: this.step,
      model: setup.layersModel,
      optimizer: setup.trainer.optimizer,
      state: state as unknown as Record<string, unknown>,
      keep: o.keepCheckpoints,
    });
    this.savedStep = this.step;
  }
}

type ResolvedOptions = typeof DEFAULTS & TrainOptions;

interface RunSetup {
  model: TrainableModel;
  layersModel: tfl.LayersModel;
  trainer: LoopTrainer;
  gqnConfig: ModelConfig;
  trainingConfig: TrainingConfig;
  step: number;
  rng: Random;
  dataState?: SceneBatchState;
  lastEval?: EvalMetrics & { step: number };
  checkpoint?: string;
}

/** JSON with keys sorted at every level, so two equal configs give the same text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** A model config in a few words: `tower 64, L8 C64 Z16, 32 px` (a GQN's), else its JSON. */
function describeModel(config: ModelConfig): string {
  const { encoder, draw, frameSize } = config as {
    frameSize: number;
    encoder?: { type?: string; channels?: number };
    draw?: { steps?: number; hiddenChannels?: number; latentChannels?: number };
  };
  if (!encoder || !draw) return JSON.stringify(config);
  return `${encoder.type} ${encoder.channels ?? ""}, L${draw.steps} C${draw.hiddenChannels} Z${draw.latentChannels}, ${frameSize} px`;
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

/** A new run from the preset, or the newest checkpoint's model, optimizer and state. */
async function openRun(
  factory: ModelFactory,
  o: ResolvedOptions,
  modelAsked: boolean,
  info: DatasetInfo,
  say: (line: string) => void,
  gradientsFor: (model: TrainableModel, gqnConfig: ModelConfig) => Promise<GradientSource | undefined>,
): Promise<RunSetup> {
  const existing = await latestCheckpoint(o.modelDir);
  if (existing && !o.resume) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `train: ${o.modelDir} already holds a checkpoint (${existing}); pass resume (--resume) to continue it, or choose another model dir.`,
    );
  }
  const overrides: Partial<TrainingConfig> = {
    ...o.training,
    ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
    ...(o.contextSize !== undefined && { contextSize: o.contextSize }),
  };
  if (!existing) {
    if (o.resume) say(`[gqn] no checkpoint in ${o.modelDir}: starting a new run.`);
    const { model: gqnConfig, training: trainingConfig } = factory.resolve(
      o.preset,
      o.model,
      overrides,
      info.views,
    );
    const model = factory.create(gqnConfig, { seed: o.seed });
    const gradients = await gradientsFor(model, gqnConfig);
    const trainer = factory.createTrainer(model, trainingConfig, gradients && { gradients });
    if (gqnConfig.frameSize !== info.frameSize) {
      say(`[gqn] resizing ${info.frameSize} px frames to the model's ${gqnConfig.frameSize} px.`);
    }
    return {
      model,
      layersModel: model.toLayersModel(),
      trainer,
      gqnConfig,
      trainingConfig,
      step: 0,
      rng: new Random(o.seed),
    };
  }
  const loaded = await loadCheckpoint(existing);
  const state = loaded.state as unknown as TrainState & { step: number };
  if (state.dataset !== undefined && state.dataset !== o.dataset) {
    say(`[gqn] the checkpoint was trained on ${state.dataset}; continuing on ${o.dataset}.`);
  }
  const gqnConfig = state.gqnConfig;
  if (modelAsked) {
    const asked = factory.resolve(o.preset, o.model, {}, info.views).model as unknown as ModelConfig;
    if (stableJson(asked) !== stableJson(gqnConfig)) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `train: ${loaded.path} holds a ${describeModel(gqnConfig)} model, but the preset and model options ask for a ${describeModel(asked)} one; resume without them (the checkpoint's config wins), or choose another model dir.`,
      );
    }
  }
  const trainingConfig: TrainingConfig = { ...state.trainingConfig, ...overrides };
  factory.validateTraining(trainingConfig, info.views);
  const model = factory.fromLayersModel(loaded.model, gqnConfig);
  const gradients = await gradientsFor(model, gqnConfig);
  const trainer = factory.createTrainer(model, trainingConfig, gradients && { gradients });
  if (loaded.optimizerWeights)
    await restoreOptimizer(trainer.optimizer, loaded.optimizerWeights, loaded.adamPowers);
  // The data order carries on only when the batches are shaped as before.
  const sameData = trainingConfig.batchSize === state.trainingConfig.batchSize && state.dataset === o.dataset;
  say(`[gqn] resumed from ${loaded.path} at step ${loaded.step}.`);
  return {
    model,
    layersModel: loaded.model,
    trainer,
    gqnConfig,
    trainingConfig,
    step: loaded.step,
    rng: Random.fromState(state.rngState),
    ...(sameData && state.dataState && { dataState: state.dataState }),
    ...(state.lastEval && { lastEval: state.lastEval }),
    checkpoint: loaded.path,
  };
}

/** Evaluates on the first `evalBatches` test batches (the same scenes every time), averaged. */
async function evaluate(
  o: ResolvedOptions,
  model: TrainableModel,
  training: TrainingConfig,
  frameSize: number,
  k: number,
  step: number,
  render: boolean,
  board: TensorBoardWriter | undefined,
  say: (line: string) => void,
): Promise<EvalMetrics> {
  const sigma = annealed(training.sigma, step);
  const sums = { elbo: 0, nll: 0, kl: 0, bitsPerDim: 0, mse: 0 };
  let n = 0;
  const batches = testBatches(o, training, frameSize, k, say);
  const progress = new EvalProgress({ step, batches: o.evalBatches, say });
  try {
    for await (const batch of batches) {
      try {
        const m = await model.evaluate(batch, sigma, { seed: deriveSeed(o.seed, "evaluation") });
        for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += m[key];
        n++;
        if (render && n === 1) await writeGrid(o, model, batch, step, board);
      } finally {
        batch.dispose();
      }
      progress.batchDone(n);
      if (n >= o.evalBatches) break;
    }
  } finally {
    await batches.close();
  }
  if (n === 0)
    throw new GqnError("IO_ERROR", `train: the test split of ${o.dataset} gave no batch to evaluate.`);
  const mse = sums.mse / n;
  return {
    elbo: sums.elbo / n,
    nll: sums.nll / n,
    kl: sums.kl / n,
    bitsPerDim: sums.bitsPerDim / n,
    mse,
    psnr: 10 * Math.log10(1 / mse),
  };
}

async function renderGrid(
  o: ResolvedOptions,
  model: TrainableModel,
  training: TrainingConfig,
  frameSize: number,
  k: number,
  step: number,
  board: TensorBoardWriter | undefined,
): Promise<void> {
  const batches = testBatches(o, training, frameSize, k, () => {});
  try {
    const next = await batches.next();
    if (next.done) return;
    try {
      await writeGrid(o, model, next.value, step, board);
    } finally {
      next.value.dispose();
    }
  } finally {
    await batches.close();
  }
}

function testBatches(
  o: ResolvedOptions,
  training: TrainingConfig,
  frameSize: number,
  k: number,
  say: (line: string) => void,
): SceneBatchIterator {
  return createSceneBatches({
    dataDir: o.dataDir,
    dataset: o.dataset,
    split: "test",
    batchSize: training.batchSize,
    contextSize: k,
    frameSize,
    seed: o.seed,
    repeat: true,
    shuffleBuffer: 1,
    ...(o.dataWorkers !== undefined && { workers: o.dataWorkers }),
    ...(o.requireAllShards && { requireAllShards: true }),
    warn: say,
  });
}

/** `images/step-<step>.png`: one row per scene, context views | target | prior prediction. */
async function writeGrid(
  o: ResolvedOptions,
  model: TrainableModel,
  batch: SceneBatch,
  step: number,
  board: TensorBoardWriter | undefined,
): Promise<void> {
  const prediction = tf.tidy(() =>
    model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, {
      seed: deriveSeed(o.seed, "image grid"),
    }),
  );
  let grid: ReturnType<typeof imageGrid>;
  try {
    grid = imageGrid(batch.contextFrames, [batch.target, prediction]);
  } finally {
    prediction.dispose();
  }
  const dir = join(o.modelDir, "images");
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `step-${String(step).padStart(8, "0")}.png`),
    encodePng(grid.data, grid.width, grid.height),
  );
  board?.image(step, "test/context_target_prediction", grid);
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
    ...(r.split === "train" && {
      "train/lr": r.lr,
      "train/sigma": r.sigma,
      "train/steps_per_second": r.stepsPerSecond,
    }),
  };
}

function validateOptions(o: ResolvedOptions): void {
  for (const key of ["dataDir", "dataset", "modelDir"] as const) {
    if (typeof o[key] !== "string" || o[key].length === 0) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `train: ${key} must be a non-empty string, but got ${JSON.stringify(o[key])}.`,
      );
    }
  }
  const counts = {
    steps: 0,
    logEvery: 1,
    evalEvery: 0,
    evalBatches: 1,
    renderEvery: 0,
    checkpointEvery: 0,
    keepCheckpoints: 1,
  } as const;
  for (const [key, min] of Object.entries(counts) as [keyof typeof counts, number][]) {
    const value = o[key];
    if (!Number.isInteger(value) || value < min) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `train: ${key} must be an integer >= ${min}, but got ${JSON.stringify(value)}.`,
      );
    }
  }
  if (!Number.isInteger(o.seed)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `train: seed must be an integer, but got ${JSON.stringify(o.seed)}.`,
    );
  }
  if (o.maxMinutes !== undefined && !(o.maxMinutes > 0)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `train: maxMinutes must be a positive number, but got ${JSON.stringify(o.maxMinutes)}.`,
    );
  }
  for (const key of ["workers", "microBatchSize"] as const) {
    const value = o[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `train: ${key} must be a positive integer, but got ${JSON.stringify(value)}.`,
      );
    }
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
