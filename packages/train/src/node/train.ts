import { mkdir } from "node:fs/promises";
import { initBackend } from "@gqn/backend";
import { GqnError, isGqnError } from "@gqn/core";
import type { EvalMetrics } from "@gqn/model";
import { requireSplitFiles } from "./data-checks.js";
import { openTrainingRun, Teardown } from "./open-run.js";
import { lockRunDirectory } from "./run-lock.js";
import { openTrainData } from "./train-data.js";
import {
  type OptionNames,
  resolveTrainOptions,
  TRAIN_OPTION_NAMES,
  type TrainOptions,
} from "./train-options.js";
import { TrainProgress } from "./train-progress.js";
import type { StopReason, TrainingRun } from "./training-run.js";

export type { TrainOptions } from "./train-options.js";
export type { StopReason } from "./training-run.js";

/** What {@link train} returns. */
export interface TrainResult {
  /** Updates applied in total. */
  step: number;
  /** Updates applied by this call (0 when the run had reached `steps` already). */
  stepsRun: number;
  stoppedBy: StopReason;
  /**
   * The newest evaluation on the test split made by this call (undefined without a test split,
   * or when this call evaluated nothing: an earlier call's figures are not this call's result).
   */
  lastEval?: EvalMetrics & { step: number };
  /** The checkpoint directory saved last. */
  checkpoint?: string;
  modelDir: string;
  /** Wall-clock time of this call. */
  elapsedMs: number;
}

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
  return trainNamed(options, TRAIN_OPTION_NAMES);
}

/** {@link train}, with errors naming the options as `names` says (a CLI's flags). */
export async function trainNamed(options: TrainOptions, names: OptionNames): Promise<TrainResult> {
  const started = Date.now();
  const o = resolveTrainOptions(options, names);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  let bar: TrainProgress | undefined;
  // Lines go above the progress bar once it is drawn.
  const say = (line: string) => (bar ? bar.log(line) : log(line));

  const data = await openTrainData(options, names);
  o.dataset = data.name;
  if ("dataDir" in data.source) await requireSplitFiles(data.source.dataDir, data.info, o.requireAllShards);
  if (options.backend) await initBackend({ backend: options.backend, log: say });
  await mkdir(o.modelDir, { recursive: true });
  const lock = await lockRunDirectory(o.modelDir, names.where);

  // Everything opened below is closed once, in reverse, however the run ends.
  const teardown = new Teardown();
  teardown.add(() => lock.release());
  let run: TrainingRun | undefined;
  let failure: unknown;
  try {
    // What the caller asked the model to be: a resumed run must be of that model.
    const modelAsked =
      options.preset !== undefined ? "preset" : options.model !== undefined ? "model" : undefined;
    run = await openTrainingRun({
      options: o,
      names,
      modelAsked,
      info: data.info,
      source: data.source,
      say,
      teardown,
    });
    if (showProgress) {
      const drawn = new TrainProgress({ total: o.steps, start: run.step });
      bar = drawn;
      teardown.add(() => drawn.stop());
    }
    await run.train(started, bar);
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
    stepsRun: done.step - done.startStep,
    stoppedBy: done.stopReason ?? "steps",
    ...(done.lastEval && done.evaluated && { lastEval: done.lastEval }),
    ...(done.lastCheckpoint && { checkpoint: done.lastCheckpoint }),
    modelDir: o.modelDir,
    elapsedMs: Date.now() - started,
  };
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
