// Opening a run, new or resumed, in one place: the run directory's newest checkpoint is read
// once, then the model and its trainer, data-parallel replicas, the batches, the log and the
// TensorBoard file are opened, each with its cleanup.
import { join } from "node:path";
import {
  createDataParallel,
  type OnnxConvAccelerator,
  tryEnableOnnxConvAccelerator,
} from "@gqn/backend/node";
import { deriveSeed, GqnError, Random } from "@gqn/core";
import { createSceneBatches, type DatasetInfo } from "@gqn/data/node";
import type { TrainingConfig } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { type LoadedCheckpoint, readRunCheckpoint } from "./checkpoint.js";
import { Evaluator } from "./evaluator.js";
import { gqnModelFactory, type ModelConfig, type ModelFactory, type TrainableModel } from "./gqn-factory.js";
import { RunLog } from "./run-log.js";
import { TensorBoardWriter } from "./tensorboard-writer.js";
import type { OptionNames, ResolvedTrainOptions } from "./train-options.js";
import { type RunModel, TrainingRun, type TrainState } from "./training-run.js";

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
  /** Whether the caller asked for a model (preset or model options): a resumed run must be of it. */
  modelAsked: boolean;
  info: DatasetInfo;
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
  const found = await readRunCheckpoint(o.modelDir, { load: o.resume === true });
  if (found.path && !o.resume) {
    const { where, option } = request.names;
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `${where}: ${o.modelDir} already holds a checkpoint (${found.path}); pass ${option("resume")} to continue it, or choose another model dir.`,
    );
  }
  const accelerator = enableAccelerator(o, say, teardown);
  const model = await openModel(request, found.loaded, accelerator);
  teardown.add(() => model.model.dispose());
  teardown.add(() => model.trainer.dispose());
  const batches = createSceneBatches({
    dataDir: o.dataDir,
    dataset: o.dataset,
    split: "train",
    batchSize: model.trainingConfig.batchSize,
    contextSize: model.trainingConfig.contextSize,
    frameSize: model.gqnConfig.frameSize,
    seed: o.seed,
    ...(model.dataState && { state: model.dataState }),
    ...(o.dataWorkers !== undefined && { workers: o.dataWorkers }),
    ...(o.requireAllShards && { requireAllShards: true }),
    onCorrupt: o.onCorrupt,
    warn: say,
  });
  teardown.add(() => batches.close());
  // A resumed run drops the records a crash left beyond its checkpoint, so steps never repeat.
  // A new run (no checkpoint: a crash before the first one) keeps nothing of the old log.
  const runLog = await RunLog.open(join(o.modelDir, "log.jsonl"), {
    dropAfterStep: model.checkpoint ? model.step : -1,
  });
  teardown.add(() => runLog.close());
  let board: TensorBoardWriter | undefined;
  if (o.tensorboard !== false) {
    const writer = await TensorBoardWriter.open(join(o.modelDir, "tensorboard"), { step: model.step });
    board = writer;
    // A TensorBoard file that cannot be finished does not fail a run whose checkpoint is saved.
    teardown.add(() => writer.close().catch(() => {}));
  }
  const k = model.trainingConfig.contextSize;
  const evaluator =
    request.info.testFiles > 0
      ? new Evaluator({
          model: model.model,
          data: o,
          seed: o.seed,
          batchSize: model.trainingConfig.batchSize,
          contextSize: typeof k === "number" ? k : k.max,
          frameSize: model.gqnConfig.frameSize,
          sigma: model.trainingConfig.sigma,
          evalBatches: o.evalBatches,
          modelDir: o.modelDir,
          board,
          say,
        })
      : undefined;
  return new TrainingRun({ options: o, names: request.names, model, batches, runLog, board, evaluator, say });
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

/** A new run's model from the preset, or the checkpoint's model, trainer, optimizer and state. */
async function openModel(
  request: OpenRunRequest,
  loaded: LoadedCheckpoint | undefined,
  accelerator: OnnxConvAccelerator | undefined,
): Promise<RunModel> {
  const { options: o, info, say } = request;
  const factory: ModelFactory = await gqnModelFactory();
  const overrides: Partial<TrainingConfig> = {
    ...o.training,
    ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
    ...(o.contextSize !== undefined && { contextSize: o.contextSize }),
  };
  const gradientsFor = async (model: TrainableModel, gqnConfig: ModelConfig) => {
    const workers = o.workers ?? 1;
    if (workers === 1 && o.microBatchSize === undefined) return undefined;
    if (!factory.replica) {
      const { where, option } = request.names;
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: this model cannot train data-parallel (${option("workers")}, ${option("microBatchSize")}).`,
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
    request.teardown.add(() => parallel.dispose());
    say(
      `[gqn] data-parallel: ${workers} replica${workers > 1 ? "s" : ""}${o.microBatchSize !== undefined ? `, micro-batches of at most ${o.microBatchSize}` : ""}.`,
    );
    return parallel;
  };
  if (!loaded) {
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
      rng: new Random(deriveSeed(o.seed, "latent noise")),
    };
  }
  const state = loaded.state as unknown as TrainState & { step: number };
  if (state.dataset !== undefined && state.dataset !== o.dataset) {
    say(`[gqn] the checkpoint was trained on ${state.dataset}; continuing on ${o.dataset}.`);
  }
  const gqnConfig = state.gqnConfig;
  if (request.modelAsked) {
    const asked = factory.resolve(o.preset, o.model, {}, info.views).model as unknown as ModelConfig;
    if (stableJson(asked) !== stableJson(gqnConfig)) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `${request.names.where}: ${loaded.path} holds a ${describeModel(gqnConfig)} model, but the preset and model options ask for a ${describeModel(asked)} one; resume without them (the checkpoint's config wins), or choose another model dir.`,
      );
    }
  }
  const trainingConfig: TrainingConfig = { ...state.trainingConfig, ...overrides };
  factory.validateTraining(trainingConfig, info.views);
  const model = factory.fromLayersModel(loaded.model, gqnConfig);
  const gradients = await gradientsFor(model, gqnConfig);
  const trainer = factory.createTrainer(model, trainingConfig, gradients && { gradients });
  if (loaded.optimizerState) {
    try {
      await trainer.setOptimizerState(loaded.optimizerState);
    } finally {
      tf.dispose(loaded.optimizerState.map((w) => w.tensor));
    }
  }
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
