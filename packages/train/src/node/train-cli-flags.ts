// gqn-train's flags, written once: each flag's spelling, help, parser and the train() option it
// sets. The commander options, the parsed values' type, the mapping to train() and the names
// errors give the options all come from this table.
import type { BackendRequest } from "@gqn/backend";
import {
  type CliIo,
  type Command,
  cliCommand,
  depthRangeOption,
  integerOption,
  Option,
  packageVersion,
  parseCli,
  positiveNumberOption,
} from "@gqn/core/cli";
import { GQN_PRESET_NAMES } from "@gqn/model";
import { countOrRange, schedule, unitInterval } from "./cli-support.js";
import { type OptionNames, TRAIN_DEFAULTS, type TrainOptions } from "./train-options.js";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const satisfies readonly BackendRequest[];

/** One flag: how it parses, and what it sets. */
interface FlagSpec {
  /** Commander's spelling: `--batch-size <n>`, `--resume`, `--no-progress`. */
  flag: string;
  help: string;
  /** Absent: a switch (true when given; a `--no-` flag is false when given). */
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  default?: unknown;
  required?: true;
  /** The train() option it sets; absent for the model and training config flags (configOverrides). */
  to?: keyof TrainOptions;
}

const TRAIN_FLAGS = {
  dataDir: {
    flag: "--data-dir <dir>",
    help: "directory holding <dataset>/{train,test}/*.tfrecord",
    parse: String,
    required: true,
    to: "dataDir",
  },
  dataset: {
    flag: "--dataset <name>",
    help: "dataset name (a published one, or a directory with a dataset.json)",
    parse: String,
    required: true,
    to: "dataset",
  },
  modelDir: {
    flag: "--model-dir <dir>",
    help: "run directory: checkpoints, log.jsonl, TensorBoard events, images",
    parse: String,
    required: true,
    to: "modelDir",
  },
  preset: {
    flag: "--preset <name>",
    help: "model and training preset (default: small; new runs)",
    choices: GQN_PRESET_NAMES,
    to: "preset",
  },
  batchSize: {
    flag: "--batch-size <n>",
    help: "scenes per batch (default: the preset's)",
    parse: integerOption(1),
    to: "batchSize",
  },
  steps: {
    flag: "--steps <n>",
    help: "train until this many steps in total (default 2000000); a new tiny or small run anneals the default --sigma and --lr over them (one from --init-from only --lr)",
    parse: integerOption(0),
    to: "steps",
  },
  maxMinutes: {
    flag: "--max-minutes <m>",
    help: "stop cleanly (with a checkpoint) after this many minutes",
    parse: positiveNumberOption,
    to: "maxMinutes",
  },
  contextSize: {
    flag: "--context-size <k>",
    help: "context views per scene: K, or MIN-MAX drawn per batch",
    parse: countOrRange,
    to: "contextSize",
  },
  config: {
    flag: "--config <file>",
    help: 'JSON overrides { "model": GqnConfig, "training": TrainingConfig }; flags win',
    parse: String,
  },
  frameSize: {
    flag: "--frame-size <px>",
    help: "frame size of the model, 4-1024 (frames are resized; new runs)",
    parse: integerOption(4, 1024),
  },
  encoder: {
    flag: "--encoder <type>",
    help: "representation network, at the preset's width (new runs)",
    choices: ["pool", "tower", "pyramid"],
  },
  reader: {
    flag: "--reader <type>",
    help: "epipolar: DRAW's condition gets what the context views show along each query pixel's ray (the cameras' geometry); epipolar-attention: also an attention over those samples at every DRAW step; none: the paper's GQN (default: the preset's, none; new runs)",
    choices: ["none", "epipolar", "epipolar-attention"],
  },
  fov: {
    flag: "--fov <degrees>",
    help: "the cameras' field of view for --reader epipolar (default: the dataset's: dataset.json, or the published sets' assumed value)",
    parse: positiveNumberOption,
  },
  depthRange: {
    flag: "--depth-range <near,far>",
    help: "where --reader epipolar samples each query ray, world units (default: the dataset's)",
    parse: depthRangeOption,
  },
  lr: {
    flag: "--lr <schedule>",
    help: "Adam learning rate START:END:STEPS, or one number (tf-gqn: --adam_lr_*; default: tiny and small 1e-3:1e-4 over --steps or 4000/5000 steps, the others the paper's 5e-4:5e-5:1.6e6)",
    parse: schedule,
  },
  sigma: {
    flag: "--sigma <schedule>",
    help: "pixel sigma START:END:STEPS, or one number (default: 2.0:0.7, for tiny and small over --steps or 4000/5000 steps, for the others over 2e5 as the paper)",
    parse: schedule,
  },
  adamBeta1: {
    flag: "--adam-beta1 <b>",
    help: "Adam beta1 (default: the preset's, 0.9)",
    parse: unitInterval,
  },
  adamBeta2: {
    flag: "--adam-beta2 <b>",
    help: "Adam beta2 (default: the preset's, 0.999)",
    parse: unitInterval,
  },
  adamEpsilon: {
    flag: "--adam-epsilon <e>",
    help: "Adam epsilon (default: the preset's, 1e-8)",
    parse: positiveNumberOption,
  },
  drawSteps: {
    flag: "--draw-steps <l>",
    help: "DRAW steps: L, or MIN-MAX drawn per batch (the model gets L = MAX and renders with any L up to it; new runs)",
    parse: countOrRange,
  },
  backend: {
    flag: "--backend <name>",
    help: "tfjs backend",
    choices: BACKENDS,
    default: "auto",
    to: "backend",
  },
  accelerator: {
    flag: "--accelerator <name>",
    help: "onnxruntime-node convolutions on the wasm backend when installed",
    choices: ["auto", "onnx", "none"],
    default: "auto",
    to: "accelerator",
  },
  seed: {
    flag: "--seed <n>",
    help: "seed of the weights, data order and latents",
    parse: integerOption(0),
    default: TRAIN_DEFAULTS.seed,
    to: "seed",
  },
  resume: { flag: "--resume", help: "continue from the newest checkpoint in --model-dir", to: "resume" },
  initFrom: {
    flag: "--init-from <dir>",
    help: "start a new run (step 0, fresh optimizer and schedules) from these weights: a checkpoint or a saved model dir; not with --resume",
    parse: String,
    to: "initFrom",
  },
  evalEvery: {
    flag: "--eval-every <n>",
    help: "evaluate on the test split every N steps (0: at the end only)",
    parse: integerOption(0),
    to: "evalEvery",
  },
  evalBatches: {
    flag: "--eval-batches <n>",
    help: "test batches per evaluation",
    parse: integerOption(1),
    to: "evalBatches",
  },
  renderEvery: {
    flag: "--render-every <n>",
    help: "write a PNG grid every N steps (0: never)",
    parse: integerOption(0),
    to: "renderEvery",
  },
  checkpointEvery: {
    flag: "--checkpoint-every <n>",
    help: "save a checkpoint every N steps (0: at the end only)",
    parse: integerOption(0),
    to: "checkpointEvery",
  },
  keepCheckpoints: {
    flag: "--keep-checkpoints <n>",
    help: "checkpoints kept",
    parse: integerOption(1),
    to: "keepCheckpoints",
  },
  logEvery: {
    flag: "--log-every <n>",
    help: "log a training record every N steps",
    parse: integerOption(1),
    to: "logEvery",
  },
  dataWorkers: {
    flag: "--data-workers <n>",
    help: "JPEG decoding threads (0: on the main thread)",
    parse: integerOption(0),
    to: "dataWorkers",
  },
  onCorrupt: {
    flag: "--on-corrupt <mode>",
    help: "a bad training or test record: stop naming it (error), or skip it (skip)",
    choices: ["error", "skip"],
    default: TRAIN_DEFAULTS.onCorrupt,
    to: "onCorrupt",
  },
  maxSkippedFraction: {
    flag: "--max-skipped-fraction <f>",
    help: "with --on-corrupt skip, stop when more than this share of the records read are bad (0 <= f < 1)",
    parse: unitInterval,
    default: TRAIN_DEFAULTS.maxSkippedFraction,
    to: "maxSkippedFraction",
  },
  freshOptimizer: {
    flag: "--fresh-optimizer",
    help: "with --resume, accept a checkpoint without optimizer state and continue with a fresh Adam",
    to: "freshOptimizer",
  },
  requireAllShards: {
    flag: "--require-all-shards",
    help: "refuse a partial download (default: use the shards present, with a note)",
    to: "requireAllShards",
  },
  workers: {
    flag: "--workers <n>",
    help: "data-parallel replicas on worker threads (default 1; see docs/performance.md)",
    parse: integerOption(1),
    to: "workers",
  },
  microBatch: {
    flag: "--micro-batch <n>",
    help: "most scenes per forward + backward pass (bounds memory; default: the batch)",
    parse: integerOption(1),
    to: "microBatchSize",
  },
  progress: { flag: "--no-progress", help: "no progress bar", default: true, to: "progress" },
  tensorboard: {
    flag: "--no-tensorboard",
    help: "no TensorBoard event files",
    default: true,
    to: "tensorboard",
  },
  debug: { flag: "--debug", help: "log every step; print stacks on errors", to: "debug" },
} as const satisfies Record<string, FlagSpec>;

type Flags = typeof TRAIN_FLAGS;
type FlagValue<S> = S extends { parse: (value: string) => infer T }
  ? T
  : S extends { choices: readonly (infer C)[] }
    ? C
    : boolean;
type AlwaysSet<S> = S extends { required: true } ? true : S extends { default: unknown } ? true : false;

/** What the flags parse to: required flags and flags with a default are always present. */
export type TrainFlags = {
  [K in keyof Flags as AlwaysSet<Flags[K]> extends true ? K : never]: FlagValue<Flags[K]>;
} & {
  [K in keyof Flags as AlwaysSet<Flags[K]> extends true ? never : K]?: FlagValue<Flags[K]>;
};

/**
 * Parses gqn-train's arguments: the flags and the train() options they set, or the exit code
 * of a usage error (printed, one line) or of `--help` / `--version`.
 */
export function parseTrainArgs(
  argv: readonly string[],
  io: CliIo,
): { exit: number } | { flags: TrainFlags; options: TrainOptions } {
  const command = addTrainFlags(
    cliCommand(
      "gqn-train",
      "Train a Generative Query Network on a GQN dataset.",
      packageVersion("@gqn/train", import.meta.url),
      io,
    ),
  );
  const exit = parseCli(command, argv);
  if (exit !== undefined) return { exit };
  const flags = readTrainFlags(command);
  return { flags, options: trainOptionsOf(flags) };
}

function addTrainFlags(command: Command): Command {
  for (const spec of Object.values(TRAIN_FLAGS) as FlagSpec[]) {
    const option = new Option(spec.flag, spec.help);
    if (spec.parse) option.argParser((value: string) => spec.parse?.(value));
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/** The parsed flags of `command`, keyed as in the table. */
function readTrainFlags(command: Command): TrainFlags {
  const parsed = command.opts();
  const flags: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(TRAIN_FLAGS) as [string, FlagSpec][]) {
    const value = parsed[new Option(spec.flag).attributeName()];
    if (value !== undefined) flags[key] = value;
  }
  return flags as TrainFlags;
}

/** The train() options the flags set directly (the config flags go through configOverrides). */
function trainOptionsOf(flags: TrainFlags): TrainOptions {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(TRAIN_FLAGS) as [keyof TrainFlags, FlagSpec][]) {
    if (spec.to !== undefined && flags[key] !== undefined) options[spec.to] = flags[key];
  }
  // The required flags (--data-dir, --dataset, --model-dir) are set: commander checked them.
  return options as unknown as TrainOptions;
}

/** Errors of a train() started by gqn-train name its flags: `--data-dir`, not `dataDir`. */
export const TRAIN_FLAG_NAMES: OptionNames = {
  where: "gqn-train",
  option(key) {
    const spec =
      (Object.values(TRAIN_FLAGS) as FlagSpec[]).find((s) => s.to === key) ??
      (TRAIN_FLAGS as Record<string, FlagSpec>)[key];
    return spec ? (new Option(spec.flag).long ?? key) : key;
  },
};
