// Opening a run, new or resumed, in one place: the run directory's newest checkpoint is read
// once, then the model and its trainer, data-parallel replicas, the batches, the log and the
// TensorBoard file are opened, each with its cleanup.
import { join, relative } from "node:path";
import { type OnnxConvAccelerator, tryEnableOnnxConvAccelerator } from "@gqn/backend/node";
import { canonicalJson, deriveSeed, GqnError, Random } from "@gqn/core";
import { type DatasetInfo, datasetDepthRange, datasetFovDegrees } from "@gqn/data";
import { createSceneBatches, listDatasetFiles, type SceneBatchState } from "@gqn/data/node";
import { dataMismatchNotes, dataNotes } from "@gqn/eval/node";
import { completeGqnConfig, type GqnConfig, type GqnConfigOverrides, GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { presetConfigs, type TrainingConfig } from "../training-config.js";
import { readRunCheckpoint, type TrainingCheckpoint } from "./checkpoint.js";
import { Evaluator } from "./evaluator.js";
import { openModelAndTrainer } from "./model-and-trainer.js";
import { withOverrides } from "./model-overrides.js";
import { RunLog } from "./run-log.js";
import { TensorBoardWriter } from "./tensorboard-writer.js";
import { dataFiles, type OpenedTrainData } from "./train-data.js";
import type { OptionNames, ResolvedTrainOptions } from "./train-options.js";
import { type RunModel, TrainingRun, type TrainState } from "./training-run.js";
import { openWarmStart } from "./warm-start.js";

/** Cleanups run once, last added first; the first error is returned after all have run. */
export class Teardown {
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

/** What {@link openTrainingRun} needs: the options, the dataset, where lines and cleanups go. */
export interface OpenRunRequest {
  options: ResolvedTrainOptions;
  names: OptionNames;
  /**
   * What the caller asked the model to be: a preset (a resumed run must be that preset's model),
   * or model options alone (laid over the run's own config, they must not change it).
   */
  modelAsked: "preset" | "model" | undefined;
  info: DatasetInfo;
  /** Where the training batches come from: the files, or the scenes in memory. */
  source: OpenedTrainData["source"];
  say: (line: string) => void;
  /** Receives the cleanup of everything opened. */
  teardown: Teardown;
}

/**
 * Opens a run: the accelerator, the model (new or resumed from the newest checkpoint, read
 * once) and its trainer, data-parallel replicas, the training batches, `log.jsonl`, the
 * TensorBoard file and the evaluator, each with its cleanup.
 */
export async function openTrainingRun(request: OpenRunRequest): Promise<TrainingRun> {
  const { options: o, say, teardown } = request;
  const found = await readRunCheckpoint(o.modelDir, { load: o.resume === true, say });
  if (found.path && !o.resume) {
    const { where, option } = request.names;
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `${where}: ${o.modelDir} already holds a checkpoint (${found.path}); pass ${option("resume")} to continue it, or choose another model dir.`,
    );
  }
  const accelerator = enableAccelerator(o, say, teardown);
  const run = await openModel(request, found.loaded, accelerator);
  const batches = createSceneBatches({
    ...request.source,
    split: "train",
    batchSize: run.trainingConfig.batchSize,
    contextSize: run.trainingConfig.contextSize,
    frameSize: run.model.config.frameSize,
    seed: o.seed,
    ...(run.dataState && { state: run.dataState }),
    ...(o.dataWorkers !== undefined && { workers: o.dataWorkers }),
    ...(o.requireAllShards && { requireAllShards: true }),
    onCorrupt: o.onCorrupt,
    warn: dataNotes(say),
  });
  teardown.add(() => batches.close());
  // A resumed run drops the records a crash left beyond its checkpoint, so steps never repeat.
  // A new run (no checkpoint: a crash before the first one) keeps nothing of the old log.
  const runLog = await RunLog.open(join(o.modelDir, "log.jsonl"), {
    dropAfterStep: run.checkpoint ? run.step : -1,
  });
  teardown.add(() => runLog.close());
  let board: TensorBoardWriter | undefined;
  if (o.tensorboard !== false) {
    const writer = await TensorBoardWriter.open(join(o.modelDir, "tensorboard"), { step: run.step });
    board = writer;
    // A TensorBoard file that cannot be finished does not fail a run whose checkpoint is saved.
    teardown.add(() => writer.close().catch(() => {}));
  }
  const k = run.trainingConfig.contextSize;
  const evaluator =
    request.info.testFiles > 0
      ? new Evaluator({
          model: run.model,
          data: { ...o, ...dataFiles(o) },
          seed: o.seed,
          batchSize: run.trainingConfig.batchSize,
          contextSize: typeof k === "number" ? k : k.max,
          frameSize: run.model.config.frameSize,
          sigma: run.trainingConfig.sigma,
          evalBatches: o.evalBatches,
          modelDir: o.modelDir,
          board,
          say,
        })
      : undefined;
  return new TrainingRun({
    options: o,
    names: request.names,
    model: run,
    batches,
    runLog,
    board,
    evaluator,
    say,
  });
}

/**
 * On the wasm backend with an accelerator asked for: onnxruntime's convolutions on every core
 * (threads 0) for one replica, as bench:train and bench:vs-reference measure it; one thread per
 * replica when the replicas fill the cores.
 */
function enableAccelerator(
  o: ResolvedTrainOptions,
  say: (line: string) => void,
  teardown: Teardown,
): OnnxConvAccelerator | undefined {
  if ((o.accelerator ?? "none") === "none" || tf.getBackend() !== "wasm") return undefined;
  const accelerator = tryEnableOnnxConvAccelerator({ log: say, threads: (o.workers ?? 1) > 1 ? 1 : 0 });
  if (accelerator) teardown.add(() => accelerator.disable());
  return accelerator;
}

/**
 * A new run's model from the preset, or the checkpoint's model, optimizer state and run state:
 * the configs are settled here, then the model and its trainer are opened in one call.
 */
async function openModel(
  request: OpenRunRequest,
  loaded: TrainingCheckpoint | undefined,
  accelerator: OnnxConvAccelerator | undefined,
): Promise<RunModel> {
  const { options: o, info, say, names } = request;
  const overrides: Partial<TrainingConfig> = {
    ...o.training,
    ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
    ...(o.contextSize !== undefined && { contextSize: o.contextSize }),
  };
  const workers = o.workers ?? 1;
  const parallel = workers > 1 || o.microBatchSize !== undefined;
  // The state a run of this package saved (TrainState), read back from its state.json.
  const state = loaded?.state as (TrainState & { step: number }) | undefined;
  const warm =
    !loaded && o.initFrom !== undefined
      ? await openWarmStart(o.initFrom, {
          preset: o.preset,
          modelAsked: request.modelAsked !== undefined,
          model: withReaderOptics(o.model, info),
          training: overrides,
          where: `${names.where}: ${names.option("initFrom")}`,
        })
      : undefined;
  let settled: ReturnType<typeof settleConfigs>;
  let resumed: GqnModel | undefined;
  try {
    settled = warm
      ? { gqnConfig: warm.model.config, trainingConfig: warm.training }
      : settleConfigs(request, overrides, loaded);
    if (loaded) resumed = GqnModel.fromLayersModel(loaded.model, settled.gqnConfig);
  } catch (error) {
    // Refused before the model took the checkpoint's tensors: they are freed here.
    loaded?.model.dispose();
    tf.dispose(loaded?.optimizerState?.map((w) => w.tensor) ?? []);
    throw error;
  }
  if (loaded && !loaded.optimizerState) {
    if (!o.freshOptimizer) {
      loaded.model.dispose();
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `${names.where}: ${loaded.path} has no optimizer state (optimizer.json and optimizer.bin): resuming from it would restart Adam's moments. Pass ${names.option("freshOptimizer")} to continue with a fresh optimizer, or resume from a checkpoint that has them.`,
      );
    }
    say(
      `[gqn] ${loaded.path} has no optimizer state: continuing with a fresh Adam (${names.option("freshOptimizer")}).`,
    );
  }
  const opened = await openModelAndTrainer({
    config: settled.gqnConfig,
    training: settled.trainingConfig,
    datasetViews: info.views,
    seed: o.seed,
    ...(resumed && {
      from: { model: resumed, ...(loaded?.optimizerState && { optimizerState: loaded.optimizerState }) },
    }),
    // A warm start: the source's weights, and a fresh optimizer.
    ...(warm && { from: { model: warm.model } }),
    ...(parallel && {
      parallel: {
        workers,
        ...(o.microBatchSize !== undefined && { microBatchSize: o.microBatchSize }),
        ...(accelerator && { onnxThreads: 1 }),
      },
    }),
  });
  request.teardown.add(() => opened.close());
  if (parallel) {
    say(
      `[gqn] data-parallel: ${workers} replica${workers > 1 ? "s" : ""}${o.microBatchSize !== undefined ? `, micro-batches of at most ${o.microBatchSize}` : ""}.`,
    );
  }
  const common = { model: opened.model, trainer: opened.trainer, trainingConfig: settled.trainingConfig };
  const notes = dataMismatchNotes({
    trainedOn: state?.dataset,
    dataset: o.dataset,
    datasetFrameSize: info.frameSize,
    modelFrameSize: settled.gqnConfig.frameSize,
    doing: loaded ? "continuing" : "training",
  });
  for (const note of notes) say(note);
  if (!loaded || !state) {
    if (warm) {
      say(
        `[gqn] new run from the weights of ${warm.path}${warm.step !== undefined ? ` (step ${warm.step})` : ""}${warm.heldSigma !== undefined ? `; sigma held at its ${warm.heldSigma.toFixed(2)} (${names.option("sigma")} to anneal another)` : ""}.`,
      );
    }
    return { ...common, step: 0, rng: new Random(deriveSeed(o.seed, "latent noise")) };
  }
  // The data order carries on only when the batches are shaped as before, from the same files.
  const sameData =
    settled.trainingConfig.batchSize === state.trainingConfig.batchSize &&
    state.dataset === o.dataset &&
    (await dataStateFits(state.dataState, request, loaded.path));
  say(`[gqn] resumed from ${loaded.path} at step ${loaded.step}.`);
  return {
    ...common,
    step: loaded.step,
    rng: Random.fromState(state.rngState),
    ...(sameData && state.dataState && { dataState: state.dataState }),
    ...(state.lastEval && { lastEval: state.lastEval }),
    checkpoint: loaded.path,
  };
}

/**
 * Whether the data position saved with a checkpoint can be restored here: every scene in its
 * shuffle buffer must be in a shard that is present. A shard deleted or renamed since then would
 * stop the run at its first batch; instead the data order starts over, said in one line.
 */
async function dataStateFits(
  dataState: SceneBatchState | undefined,
  request: OpenRunRequest,
  checkpoint: string,
): Promise<boolean> {
  if (!dataState || !("dataDir" in request.source) || request.source.dataDir === undefined) return true;
  const { dataDir } = request.source;
  const files = await listDatasetFiles(dataDir, request.info, "train", { warn: () => {} });
  const present = new Set(files.map((file) => relative(dataDir, file)));
  const missing = dataState.buffer.find(({ file }) => !present.has(file));
  if (missing === undefined) return true;
  request.say(
    `[gqn] the data position saved in ${checkpoint} names ${missing.file}, which is not among the dataset's shards in ${dataDir} (deleted or renamed?): the data order starts over; the model, optimizer and schedules carry on.`,
  );
  return false;
}

/**
 * The run's model and training configs: a new run's from the preset and options; a resumed
 * run's model config from the checkpoint (the preset and model options, when given, must ask
 * for the same model), and its training config with the options on top.
 */
function settleConfigs(
  request: OpenRunRequest,
  overrides: Partial<TrainingConfig>,
  loaded: TrainingCheckpoint | undefined,
): { gqnConfig: GqnConfig; trainingConfig: TrainingConfig } {
  const { options: o, say } = request;
  if (!loaded) {
    if (o.resume) say(`[gqn] no checkpoint in ${o.modelDir}: starting a new run.`);
    const { model, training } = presetConfigs(o.preset, withReaderOptics(o.model, request.info), overrides);
    return { gqnConfig: model, trainingConfig: training };
  }
  const state = loaded.state as unknown as TrainState & { step: number };
  // Completed as today's code reads it: a field added since (a default) compares equal.
  const gqnConfig = completeGqnConfig(state.gqnConfig);
  if (request.modelAsked) {
    // Without a preset, the model options are compared with the run's own config, not a preset's.
    const asked =
      request.modelAsked === "model"
        ? completeGqnConfig(withOverrides(gqnConfig, o.model))
        : presetConfigs(o.preset, withReaderOptics(o.model, request.info), {}).model;
    if (canonicalJson(asked) !== canonicalJson(gqnConfig)) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `${request.names.where}: ${loaded.path} holds a ${describeModel(gqnConfig)} model, but the preset and model options ask for a ${describeModel(asked)} one; resume without them (the checkpoint's config wins), or choose another model dir.`,
      );
    }
  }
  return { gqnConfig, trainingConfig: { ...state.trainingConfig, ...overrides } };
}

/**
 * Model overrides with an epipolar reader's optics filled from the dataset where left out: its
 * field of view and depth range (dataset.json, or the published sets' assumed values).
 */
function withReaderOptics(
  model: GqnConfigOverrides | undefined,
  info: DatasetInfo,
): GqnConfigOverrides | undefined {
  const reader = model?.reader;
  if (reader === undefined || reader === null) return model;
  const [near, far] =
    reader.near === undefined || reader.far === undefined
      ? datasetDepthRange(info)
      : [reader.near, reader.far];
  return {
    ...model,
    reader: { ...reader, fovDegrees: reader.fovDegrees ?? datasetFovDegrees(info), near, far },
  };
}

/** A model config in a few words: `tower 64, L8 C64 Z16, epipolar reader, 32 px`. */
function describeModel(config: GqnConfig): string {
  const { encoder, draw, reader, frameSize } = config;
  const read = reader ? `, epipolar reader${reader.valueChannels ? " with attention" : ""}` : "";
  return `${encoder.type} ${encoder.channels ?? ""}, L${draw.steps} C${draw.hiddenChannels} Z${draw.latentChannels}${read}, ${frameSize} px`;
}
