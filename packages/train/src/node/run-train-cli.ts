import { readFile } from "node:fs/promises";
import { GqnError } from "@gqn/core";
import {
  GQN_PRESET_NAMES,
  type GqnConfigOverrides,
  type GqnPresetName,
  getPreset,
  type TrainingConfig,
} from "@gqn/model";
import { Option } from "commander";
import {
  BACKENDS,
  type CliIo,
  countOrRange,
  fail,
  integer,
  parse,
  positive,
  program,
  schedule,
  unitInterval,
} from "./cli-support.js";
import { stopOnSignals } from "./stop-on-signals.js";
import { train } from "./train.js";

type Range = { min: number; max: number };
type Anneal = { start: number; end: number; steps: number };

/** The flags that override the model and training configs (new runs; training ones on resume too). */
interface ConfigFlags {
  config?: string;
  preset?: GqnPresetName;
  frameSize?: number;
  encoder?: "pool" | "tower" | "pyramid";
  drawSteps?: number | Range;
  lr?: Anneal;
  sigma?: Anneal;
  adamBeta1?: number;
  adamBeta2?: number;
  adamEpsilon?: number;
}

/**
 * The `model` and `training` overrides of train(): a `--config` file's, then the flags on top.
 * `--draw-steps L` builds a model of L steps; `MIN-MAX` one of MAX steps trained with L drawn per
 * batch (tf-gqn's 2-12), which then renders with any L up to MAX. `--encoder` keeps the preset's
 * width; the Adam flags start from the preset's Adam.
 */
export async function configOverrides(
  o: ConfigFlags,
): Promise<{ model: GqnConfigOverrides; training: Partial<TrainingConfig> }> {
  const file = o.config === undefined ? {} : await readConfigFile(o.config);
  const model: GqnConfigOverrides = { ...file.model };
  const training: Partial<TrainingConfig> = { ...file.training };
  const preset = getPreset(o.preset ?? "small");
  if (o.frameSize !== undefined) model.frameSize = o.frameSize;
  if (o.encoder !== undefined) {
    model.encoder = {
      ...model.encoder,
      type: o.encoder,
      channels: model.encoder?.channels ?? preset.model.encoder.channels,
    };
  }
  if (o.drawSteps !== undefined) {
    const l = o.drawSteps;
    model.draw = { ...model.draw, steps: typeof l === "number" ? l : l.max };
    if (typeof l === "object") training.drawSteps = l;
  }
  if (o.lr !== undefined) training.learningRate = o.lr;
  if (o.sigma !== undefined) training.sigma = o.sigma;
  if (o.adamBeta1 !== undefined || o.adamBeta2 !== undefined || o.adamEpsilon !== undefined) {
    const adam = { ...preset.training.adam, ...training.adam };
    training.adam = {
      beta1: o.adamBeta1 ?? adam.beta1,
      beta2: o.adamBeta2 ?? adam.beta2,
      epsilon: o.adamEpsilon ?? adam.epsilon,
    };
  }
  return { model, training };
}

/** A `--config` file: `{ "model": GqnConfig overrides, "training": TrainingConfig overrides }`. */
async function readConfigFile(
  path: string,
): Promise<{ model?: GqnConfigOverrides; training?: Partial<TrainingConfig> }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new GqnError("INVALID_CONFIG", `--config ${path}: ${(error as Error).message}.`, { cause: error });
  }
  const keys =
    parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? Object.keys(parsed) : undefined;
  const unknown = keys?.filter((key) => key !== "model" && key !== "training");
  if (keys === undefined || (unknown && unknown.length > 0)) {
    throw new GqnError(
      "INVALID_CONFIG",
      `--config ${path}: expected an object with "model" and/or "training", but got ${keys === undefined ? JSON.stringify(parsed) : `the keys ${unknown?.join(", ")}`}.`,
    );
  }
  return parsed as { model?: GqnConfigOverrides; training?: Partial<TrainingConfig> };
}

/**
 * The `gqn-train` command. `argv` are the arguments after the command name. Resolves to the exit
 * code: 0 done (steps or time budget reached), 1 failed (one line on stderr), 2 bad usage,
 * 130 stopped by SIGINT/SIGTERM after saving a checkpoint.
 */
export async function runTrainCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const command = program("gqn-train", "Train a Generative Query Network on a GQN dataset.", io)
    .requiredOption("--data-dir <dir>", "directory holding <dataset>/{train,test}/*.tfrecord")
    .requiredOption("--dataset <name>", "dataset name (a published one, or a directory with a dataset.json)")
    .requiredOption("--model-dir <dir>", "run directory: checkpoints, log.jsonl, TensorBoard events, images")
    .addOption(
      new Option("--preset <name>", "model and training preset (default: small; new runs)").choices(
        GQN_PRESET_NAMES,
      ),
    )
    .option("--batch-size <n>", "scenes per batch (default: the preset's)", integer(1))
    .option("--steps <n>", "train until this many steps in total (default 2000000)", integer(0))
    .option("--max-minutes <m>", "stop cleanly (with a checkpoint) after this many minutes", positive)
    .option("--context-size <k>", "context views per scene: K, or MIN-MAX drawn per batch", countOrRange)
    .option("--config <file>", 'JSON overrides { "model": GqnConfig, "training": TrainingConfig }; flags win')
    .option("--frame-size <px>", "frame size of the model (frames are resized; new runs)", integer(4))
    .addOption(
      new Option("--encoder <type>", "representation network, at the preset's width (new runs)").choices([
        "pool",
        "tower",
        "pyramid",
      ]),
    )
    .option(
      "--lr <schedule>",
      "Adam learning rate START:END:STEPS, or one number (tf-gqn: --adam_lr_*)",
      schedule,
    )
    .option("--sigma <schedule>", "pixel sigma START:END:STEPS, or one number", schedule)
    .option("--adam-beta1 <b>", "Adam beta1 (default: the preset's, 0.9)", unitInterval)
    .option("--adam-beta2 <b>", "Adam beta2 (default: the preset's, 0.999)", unitInterval)
    .option("--adam-epsilon <e>", "Adam epsilon (default: the preset's, 1e-8)", positive)
    .option(
      "--draw-steps <l>",
      "DRAW steps: L, or MIN-MAX drawn per batch (the model gets L = MAX and renders with any L up to it; new runs)",
      countOrRange,
    )
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .addOption(
      new Option("--accelerator <name>", "onnxruntime-node convolutions on the wasm backend when installed")
        .choices(["auto", "onnx", "none"])
        .default("auto"),
    )
    .option("--seed <n>", "seed of the weights, data order and latents", integer(0), 1)
    .option("--resume", "continue from the newest checkpoint in --model-dir")
    .option(
      "--init-from <dir>",
      "start a new run (step 0, fresh optimizer and schedules) from these weights: a checkpoint or a saved model dir; not with --resume",
    )
    .option("--eval-every <n>", "evaluate on the test split every N steps (0: at the end only)", integer(0))
    .option("--eval-batches <n>", "test batches per evaluation", integer(1))
    .option("--render-every <n>", "write a PNG grid every N steps (0: never)", integer(0))
    .option("--checkpoint-every <n>", "save a checkpoint every N steps (0: at the end only)", integer(0))
    .option("--keep-checkpoints <n>", "checkpoints kept", integer(1))
    .option("--log-every <n>", "log a training record every N steps", integer(1))
    .option("--data-workers <n>", "JPEG decoding threads (0: on the main thread)", integer(0))
    .addOption(
      new Option("--on-corrupt <mode>", "a bad training record: stop naming it (error), or skip it (skip)")
        .choices(["error", "skip"])
        .default("error"),
    )
    .option(
      "--max-skipped-fraction <f>",
      "with --on-corrupt skip, stop when more than this share of the records read are bad",
      positive,
      0.01,
    )
    .option(
      "--require-all-shards",
      "refuse a partial download (default: use the shards present, with a note)",
    )
    .option(
      "--workers <n>",
      "data-parallel replicas on worker threads (default 1; see docs/performance.md)",
      integer(1),
    )
    .option(
      "--micro-batch <n>",
      "most scenes per forward + backward pass (bounds memory; default: the batch)",
      integer(1),
    )
    .option("--no-progress", "no progress bar")
    .option("--no-tensorboard", "no TensorBoard event files")
    .option("--debug", "log every step; print stacks on errors");
  const usage = parse(command, argv);
  if (usage !== undefined) return usage;
  const o = command.opts<
    ConfigFlags & {
      dataDir: string;
      dataset: string;
      modelDir: string;
      batchSize?: number;
      steps?: number;
      maxMinutes?: number;
      contextSize?: number | Range;
      backend: (typeof BACKENDS)[number];
      accelerator: "auto" | "onnx" | "none";
      seed: number;
      resume?: boolean;
      initFrom?: string;
      evalEvery?: number;
      evalBatches?: number;
      renderEvery?: number;
      checkpointEvery?: number;
      keepCheckpoints?: number;
      logEvery?: number;
      dataWorkers?: number;
      requireAllShards?: boolean;
      onCorrupt: "error" | "skip";
      maxSkippedFraction: number;
      workers?: number;
      microBatch?: number;
      progress: boolean;
      tensorboard: boolean;
      debug?: boolean;
    }
  >();
  const stderr = io.stderr ?? process.stderr;
  const say = (line: string) => stderr.write(`${line}\n`);
  // The CLI owns the process: Ctrl-C or SIGTERM stops the run with a checkpoint (a second exits).
  const signals = stopOnSignals(say);
  try {
    const overrides = await configOverrides(o);
    const result = await train({
      dataDir: o.dataDir,
      dataset: o.dataset,
      modelDir: o.modelDir,
      ...(o.preset !== undefined && { preset: o.preset }),
      batchSize: o.batchSize,
      steps: o.steps,
      maxMinutes: o.maxMinutes,
      contextSize: o.contextSize,
      ...(Object.keys(overrides.model).length > 0 && { model: overrides.model }),
      ...(Object.keys(overrides.training).length > 0 && { training: overrides.training }),
      backend: o.backend,
      accelerator: o.accelerator,
      seed: o.seed,
      resume: o.resume,
      initFrom: o.initFrom,
      evalEvery: o.evalEvery,
      evalBatches: o.evalBatches,
      renderEvery: o.renderEvery,
      checkpointEvery: o.checkpointEvery,
      keepCheckpoints: o.keepCheckpoints,
      logEvery: o.logEvery,
      dataWorkers: o.dataWorkers,
      requireAllShards: o.requireAllShards,
      onCorrupt: o.onCorrupt,
      maxSkippedFraction: o.maxSkippedFraction,
      workers: o.workers,
      microBatchSize: o.microBatch,
      progress: o.progress && stderr.isTTY === true,
      tensorboard: o.tensorboard,
      debug: o.debug,
      signal: signals.signal,
      log: say,
    });
    const evalText = result.lastEval
      ? `; test ELBO ${result.lastEval.elbo.toFixed(1)} nats, PSNR ${result.lastEval.psnr.toFixed(2)} dB`
      : "";
    const stoppedBy = signals.received ? "signal" : result.stoppedBy;
    (io.stdout ?? process.stdout).write(
      `gqn-train: step ${result.step} (${stoppedBy})${evalText}; checkpoint ${result.checkpoint ?? "none"}\n`,
    );
    return signals.received ? 130 : 0;
  } catch (error) {
    return fail("gqn-train", error, o.debug, io);
  } finally {
    signals.dispose();
  }
}
