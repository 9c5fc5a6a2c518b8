// train()'s options: what a caller may set, the defaults in one place, and their checks.
import type { BackendRequest } from "@gqn/backend";
import { checkInteger, GqnError } from "@gqn/core";
import type { ContextSize } from "@gqn/data/node";
import type { GqnConfigOverrides, GqnPresetName } from "@gqn/model";
import type { TrainingConfig } from "../training-config.js";
import type { LogRecord } from "./run-log.js";
import type { TrainData } from "./train-data.js";

/**
 * Options of {@link train}: the data (`dataDir` and `dataset`, or `scenes` in memory:
 * {@link TrainData}), `modelDir`, and the run's settings.
 */
export type TrainOptions = TrainData & TrainRunOptions;

/** The settings of {@link train} besides its data. Only `modelDir` is required. */
export interface TrainRunOptions {
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
  /**
   * Start a new run (step 0, a fresh optimizer and schedules) from these weights: a checkpoint
   * (`ckpt-<step>`, or a model dir) or a saved model directory (`model.json`), such as the shipped
   * model. The run takes its model config; `preset` and `model`, when given, must make the same
   * one. Not with `resume`.
   */
  initFrom?: string;
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
  /**
   * Resume from a checkpoint that has no optimizer state (its `optimizer.*` files lost or removed)
   * with a fresh Adam, said in one line. Default false: such a resume is refused, naming the
   * checkpoint, since restarting the moments changes the run.
   */
  freshOptimizer?: boolean;
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

/** The defaults of {@link TrainOptions}, in one place. */
export const TRAIN_DEFAULTS = {
  preset: "small" as GqnPresetName,
  steps: 2_000_000,
  seed: 1,
  logEvery: 10,
  evalEvery: 500,
  evalBatches: 1,
  renderEvery: 1000,
  checkpointEvery: 1000,
  keepCheckpoints: 3,
  maxSkippedFraction: 0.01,
  onCorrupt: "error" as "error" | "skip",
};

/** {@link TrainOptions} with their defaults filled in and checked; `dataset` names the data (files or scenes). */
export type ResolvedTrainOptions = typeof TRAIN_DEFAULTS & TrainOptions & { dataset: string };

/**
 * How errors name the caller and its options: train()'s own names (`train: dataDir ...`), or a
 * command line's flags (`gqn-train: --data-dir ...`).
 */
export interface OptionNames {
  /** What starts each message: the function or the command. */
  where: string;
  /** The name the caller gave `key`. */
  option(key: keyof TrainOptions | "sigma"): string;
}

/** train()'s own names. */
export const TRAIN_OPTION_NAMES: OptionNames = {
  where: "train",
  option: (key) => (key === "sigma" ? "training.sigma" : key),
};

/** Fills in the defaults and checks the options, naming them as `names` says. */
export function resolveTrainOptions(options: TrainOptions, names: OptionNames): ResolvedTrainOptions {
  const o: ResolvedTrainOptions = {
    ...TRAIN_DEFAULTS,
    ...definedOnly(options),
    dataset: options.dataset ?? "in-memory",
  };
  const invalid = (key: keyof TrainOptions, what: string) =>
    new GqnError(
      "INVALID_ARGUMENT",
      `${names.where}: ${names.option(key)} must be ${what}, but got ${JSON.stringify(o[key])}.`,
    );
  // The data options are checked by openTrainData.
  if (typeof o.modelDir !== "string" || o.modelDir.length === 0)
    throw invalid("modelDir", "a non-empty string");
  if (o.initFrom !== undefined && o.resume) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${names.where}: ${names.option("initFrom")} starts a new run and cannot be combined with ${names.option("resume")}.`,
    );
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
    checkInteger(o[key], names.where, names.option(key), { min });
  }
  if (!Number.isInteger(o.seed)) throw invalid("seed", "an integer");
  if (o.maxMinutes !== undefined && !(o.maxMinutes > 0)) throw invalid("maxMinutes", "a positive number");
  if (!(o.maxSkippedFraction >= 0 && o.maxSkippedFraction < 1)) {
    throw invalid("maxSkippedFraction", "a share in [0, 1)");
  }
  for (const key of ["workers", "microBatchSize"] as const) {
    if (o[key] !== undefined) checkInteger(o[key], names.where, names.option(key));
  }
  return o;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
