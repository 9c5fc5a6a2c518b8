import { readFile } from "node:fs/promises";
import { GqnError } from "@gqn/core";
import { type CliIo, reportCliFailure } from "@gqn/core/cli";
import { type GqnConfigOverrides, getPreset } from "@gqn/model";
import {
  cpuSchedules,
  getTrainingPreset,
  RUN_SIZED_PRESETS,
  type TrainingConfig,
} from "../training-config.js";
import { stopOnSignals } from "./stop-on-signals.js";
import { type TrainResult, trainNamed } from "./train.js";
import { parseTrainArgs, TRAIN_FLAG_NAMES, type TrainFlags } from "./train-cli-flags.js";
import { TRAIN_DEFAULTS } from "./train-options.js";

/** The flags that override the model and training configs (new runs; training ones on resume too). */
type ConfigFlags = Pick<
  TrainFlags,
  | "config"
  | "resume"
  | "preset"
  | "frameSize"
  | "encoder"
  | "reader"
  | "fov"
  | "depthRange"
  | "drawSteps"
  | "lr"
  | "sigma"
  | "adamBeta1"
  | "adamBeta2"
  | "adamEpsilon"
  | "steps"
  | "initFrom"
>;

/**
 * The `model` and `training` overrides of train(): a `--config` file's, then the flags on top.
 * `--draw-steps L` builds a model of L steps; `MIN-MAX` one of MAX steps trained with L drawn per
 * batch (tf-gqn's 2-12), which then renders with any L up to MAX. `--encoder` keeps the preset's
 * width; the Adam flags start from the preset's Adam. A new run of a CPU preset (`tiny`, `small`)
 * with `--steps N` anneals the schedules it does not set over those N steps; a run from
 * `--init-from` only its learning rate, so that it holds the source's sigma (see openWarmStart).
 */
export async function configOverrides(
  o: ConfigFlags,
): Promise<{ model: GqnConfigOverrides; training: Partial<TrainingConfig> }> {
  const file = o.config === undefined ? {} : await readConfigFile(o.config);
  const model: GqnConfigOverrides = { ...file.model };
  const training: Partial<TrainingConfig> = { ...file.training };
  const presetName = o.preset ?? TRAIN_DEFAULTS.preset;
  const preset = getPreset(presetName);
  if (o.frameSize !== undefined) model.frameSize = o.frameSize;
  if (o.encoder !== undefined) {
    // A resumed run without --preset keeps its own width: the preset's is not the run's.
    const keepRunWidth = o.resume === true && o.preset === undefined;
    model.encoder = {
      ...model.encoder,
      type: o.encoder,
      ...(!keepRunWidth && { channels: model.encoder?.channels ?? preset.model.encoder.channels }),
    };
  }
  if (o.reader === "none") model.reader = null;
  if (
    o.reader?.startsWith("epipolar") ||
    ((o.fov !== undefined || o.depthRange !== undefined) && model.reader)
  ) {
    // The optics left out are the dataset's, filled in when the run opens it.
    model.reader = {
      ...model.reader,
      type: "epipolar",
      ...(o.reader === "epipolar-attention" && { valueChannels: model.reader?.valueChannels || 32 }),
      ...(o.fov !== undefined && { fovDegrees: o.fov }),
      ...(o.depthRange !== undefined && { near: o.depthRange[0], far: o.depthRange[1] }),
    };
  } else if (o.fov !== undefined || o.depthRange !== undefined) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      "gqn-train: --fov and --depth-range set the epipolar reader's optics: add --reader epipolar.",
    );
  }
  if (o.drawSteps !== undefined) {
    const l = o.drawSteps;
    model.draw = { ...model.draw, steps: typeof l === "number" ? l : l.max };
    if (typeof l === "object") training.drawSteps = l;
  }
  if (o.lr !== undefined) training.learningRate = o.lr;
  if (o.sigma !== undefined) training.sigma = o.sigma;
  if (o.steps !== undefined && o.resume !== true && RUN_SIZED_PRESETS.has(presetName)) {
    // The CPU presets' schedules are cpuSchedules(their steps): sized to this run instead.
    const sized = cpuSchedules(o.steps);
    if (o.initFrom === undefined) training.sigma ??= sized.sigma;
    training.learningRate ??= sized.learningRate;
  }
  if (o.adamBeta1 !== undefined || o.adamBeta2 !== undefined || o.adamEpsilon !== undefined) {
    const adam = { ...getTrainingPreset(presetName).adam, ...training.adam };
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

/** The summary line: only what this call did (a resumed run's earlier evaluation is not its result). */
function resultLine(result: TrainResult, signal: NodeJS.Signals | undefined): string {
  if (result.stepsRun === 0 && !result.lastEval) {
    return `gqn-train: nothing to do: the run is at step ${result.step} already (--steps counts a resumed run's earlier steps); checkpoint ${result.checkpoint ?? "none"}`;
  }
  const evalText = result.lastEval
    ? `; test ELBO ${result.lastEval.elbo.toFixed(1)} nats, PSNR ${result.lastEval.psnr.toFixed(2)} dB at step ${result.lastEval.step}`
    : "";
  const stoppedBy = signal ? "signal" : result.stoppedBy;
  return `gqn-train: step ${result.step} (${stoppedBy}, ${result.stepsRun} steps run)${evalText}; checkpoint ${result.checkpoint ?? "none"}`;
}

/**
 * The `gqn-train` command. `argv` are the arguments after the command name. Resolves to the exit
 * code: 0 done (steps or time budget reached), 1 failed (one line on stderr), 2 bad usage,
 * 130 stopped by SIGINT/SIGTERM after saving a checkpoint.
 */
export async function runTrainCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const parsed = parseTrainArgs(argv, io);
  if ("exit" in parsed) return parsed.exit;
  const o = parsed.flags;
  const stderr = io.stderr ?? process.stderr;
  const say = (line: string) => stderr.write(`${line}\n`);
  // The CLI owns the process: Ctrl-C or SIGTERM stops the run with a checkpoint (a second exits).
  const signals = stopOnSignals(say);
  try {
    const overrides = await configOverrides(o);
    const result = await trainNamed(
      {
        ...parsed.options,
        ...(Object.keys(overrides.model).length > 0 && { model: overrides.model }),
        ...(Object.keys(overrides.training).length > 0 && { training: overrides.training }),
        progress: o.progress && stderr.isTTY === true,
        signal: signals.signal,
        log: say,
      },
      TRAIN_FLAG_NAMES,
    );
    (io.stdout ?? process.stdout).write(`${resultLine(result, signals.received)}\n`);
    return signals.received ? 130 : 0;
  } catch (error) {
    return reportCliFailure("gqn-train", error, o.debug, io);
  } finally {
    signals.dispose();
  }
}
