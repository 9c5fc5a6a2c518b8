import { Option } from "commander";
import { GQN_PRESET_NAMES, type GqnPresetName } from "../index.js";
import {
  BACKENDS,
  type CliIo,
  countOrRange,
  fail,
  integer,
  parse,
  positive,
  program,
} from "./cli-support.js";
import { type StopReason, train } from "./train.js";

/**
 * `--draw-steps L` builds a model of L steps; `MIN-MAX` one of MAX steps trained with L drawn per
 * batch (tf-gqn's 2-12), which then renders with any L up to MAX.
 */
function drawStepsOptions(l: number | { min: number; max: number } | undefined) {
  if (l === undefined) return {};
  if (typeof l === "number") return { model: { draw: { steps: l } } };
  return { model: { draw: { steps: l.max } }, training: { drawSteps: l } };
}

const SIGNAL_EXIT: Partial<Record<StopReason, number>> = { signal: 130 };

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
      new Option("--preset <name>", "model and training preset").choices(GQN_PRESET_NAMES).default("small"),
    )
    .option("--batch-size <n>", "scenes per batch (default: the preset's)", integer(1))
    .option("--steps <n>", "train until this many steps in total (default 2000000)", integer(0))
    .option("--max-minutes <m>", "stop cleanly (with a checkpoint) after this many minutes", positive)
    .option("--context-size <k>", "context views per scene: K, or MIN-MAX drawn per batch", countOrRange)
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
    .option("--eval-every <n>", "evaluate on the test split every N steps (0: at the end only)", integer(0))
    .option("--eval-batches <n>", "test batches per evaluation", integer(1))
    .option("--render-every <n>", "write a PNG grid every N steps (0: never)", integer(0))
    .option("--checkpoint-every <n>", "save a checkpoint every N steps (0: at the end only)", integer(0))
    .option("--keep-checkpoints <n>", "checkpoints kept", integer(1))
    .option("--log-every <n>", "log a training record every N steps", integer(1))
    .option("--data-workers <n>", "JPEG decoding threads (0: on the main thread)", integer(0))
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
  const o = command.opts<{
    dataDir: string;
    dataset: string;
    modelDir: string;
    preset: GqnPresetName;
    batchSize?: number;
    steps?: number;
    maxMinutes?: number;
    contextSize?: number | { min: number; max: number };
    drawSteps?: number | { min: number; max: number };
    backend: (typeof BACKENDS)[number];
    accelerator: "auto" | "onnx" | "none";
    seed: number;
    resume?: boolean;
    evalEvery?: number;
    evalBatches?: number;
    renderEvery?: number;
    checkpointEvery?: number;
    keepCheckpoints?: number;
    logEvery?: number;
    dataWorkers?: number;
    workers?: number;
    microBatch?: number;
    progress: boolean;
    tensorboard: boolean;
    debug?: boolean;
  }>();
  const stderr = io.stderr ?? process.stderr;
  try {
    const result = await train({
      dataDir: o.dataDir,
      dataset: o.dataset,
      modelDir: o.modelDir,
      preset: o.preset,
      batchSize: o.batchSize,
      steps: o.steps,
      maxMinutes: o.maxMinutes,
      contextSize: o.contextSize,
      ...drawStepsOptions(o.drawSteps),
      backend: o.backend,
      accelerator: o.accelerator,
      seed: o.seed,
      resume: o.resume,
      evalEvery: o.evalEvery,
      evalBatches: o.evalBatches,
      renderEvery: o.renderEvery,
      checkpointEvery: o.checkpointEvery,
      keepCheckpoints: o.keepCheckpoints,
      logEvery: o.logEvery,
      dataWorkers: o.dataWorkers,
      workers: o.workers,
      microBatchSize: o.microBatch,
      progress: o.progress && stderr.isTTY === true,
      tensorboard: o.tensorboard,
      debug: o.debug,
      log: (line) => stderr.write(`${line}\n`),
    });
    const evalText = result.lastEval
      ? `; test ELBO ${result.lastEval.elbo.toFixed(1)} nats, PSNR ${result.lastEval.psnr.toFixed(2)} dB`
      : "";
    (io.stdout ?? process.stdout).write(
      `gqn-train: step ${result.step} (${result.stoppedBy})${evalText}; checkpoint ${result.checkpoint ?? "none"}\n`,
    );
    return SIGNAL_EXIT[result.stoppedBy] ?? 0;
  } catch (error) {
    return fail("gqn-train", error, o.debug, io);
  }
}
