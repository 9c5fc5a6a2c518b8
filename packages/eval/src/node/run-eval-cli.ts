import {
  type CliIo,
  depthRangeOption,
  integerOption,
  Option,
  parseCli,
  positiveNumberOption,
  reportCliFailure,
} from "@gqn/core/cli";
import { modelOnDataCommand } from "./cli-flags.js";
import {
  type EvaluateCheckpointOptions,
  type EvaluationReport,
  evaluateCheckpoint,
} from "./evaluate-checkpoint.js";
import { formatObjectScores } from "./format-object-scores.js";
import type { Score } from "./score-queries.js";

/**
 * The `gqn-eval` command: scores a checkpoint on a dataset split (ELBO; PSNR and SSIM of one prior
 * sample and of the mean of N, beside the baselines) as a table, or as JSON with `--json`.
 * Resolves to the exit code: 0 done, 1 failed (one line on stderr), 2 bad usage.
 */
export async function runEvalCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const command = modelOnDataCommand(
    "gqn-eval",
    "Score a trained GQN on a dataset split, beside simple baselines.",
    io,
  )
    .addOption(new Option("--split <name>", "split scored").choices(["test", "train"]).default("test"))
    .option("--scenes <n>", "score the first N scenes (default: all of the split)", integerOption(1))
    .option(
      "--samples <n>",
      "prior samples averaged for the predictive mean (at most 1000)",
      integerOption(1, 1000),
      16,
    )
    .option("--batch-size <n>", "scenes per batch", integerOption(1), 8)
    .option(
      "--sigma <s>",
      "pixel sigma of the ELBO (default: the checkpoint's at its step)",
      positiveNumberOption,
    )
    .option("--seed <n>", "seed of the queries and latents", integerOption(0), 1)
    .option(
      "--fov <degrees>",
      "cameras' field of view for the plane sweep baseline (default: the dataset's)",
      positiveNumberOption,
    )
    .option(
      "--depth-range <near,far>",
      "distances along a ray the plane sweep searches (default: the dataset's)",
      depthRangeOption,
    )
    .option("--json", "print the report as JSON");
  const usage = parseCli(command, argv);
  if (usage !== undefined) return usage;
  // The flags are named as evaluateCheckpoint's options, but for the optics and the output's.
  const { fov, depthRange, json, debug, ...options } = command.opts<
    Omit<EvaluateCheckpointOptions, "optics" | "onProgress" | "log"> & {
      fov?: number;
      depthRange?: [number, number];
      json?: boolean;
      debug?: boolean;
    }
  >();
  const stderr = io.stderr ?? process.stderr;
  // Scoring a whole published split takes long: say how far it is (a line every 10 s off a terminal).
  let lastLine = Date.now();
  const onProgress = (scenes: number) => {
    const now = Date.now();
    if (stderr.isTTY) stderr.write(`\rgqn-eval: ${scenes} scenes scored`);
    else if (now - lastLine > 10_000) {
      lastLine = now;
      stderr.write(`gqn-eval: ${scenes} scenes scored\n`);
    }
  };
  try {
    const report = await evaluateCheckpoint({
      ...options,
      ...((fov !== undefined || depthRange !== undefined) && {
        optics: {
          ...(fov !== undefined && { fovDegrees: fov }),
          ...(depthRange !== undefined && { depthRange }),
        },
      }),
      onProgress,
      log: (line) => stderr.write(`${line}\n`),
    });
    if (stderr.isTTY) stderr.write("\n");
    const stdout = io.stdout ?? process.stdout;
    stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  } catch (error) {
    return reportCliFailure("gqn-eval", error, debug, io);
  }
}

/** The report as the table gqn-eval prints (and the main job after training). */
export function formatReport(report: EvaluationReport): string {
  const { meanImage, contextAverage, nearestView, planeSweep } = report.baselines;
  const db = (score: Score, base: Score) => {
    const gain = score.psnr - base.psnr;
    return `${gain >= 0 ? "+" : ""}${gain.toFixed(2)}`;
  };
  const row = (label: string, score: Score) =>
    `  ${label.padEnd(34)} ${score.psnr.toFixed(2).padStart(6)} dB  ${Number.isNaN(score.ssim) ? "   n/a" : score.ssim.toFixed(3).padStart(6)}  ${score.mse.toFixed(5)}  ${db(score, meanImage).padStart(8)}  ${db(score, contextAverage).padStart(11)}\n`;
  return [
    `${report.checkpoint} (step ${report.step}) on ${report.dataset} ${report.split}: ${report.scenes} scenes, K ${report.contextSize}, prior renders (no target seen)\n`,
    `  ELBO ${report.elbo.nats.toFixed(1)} nats (${report.elbo.bitsPerDim.toFixed(4)} bits/dim) at sigma ${report.elbo.sigma.toFixed(3)}\n`,
    `  ${"".padEnd(34)} ${"PSNR".padStart(9)}  ${"SSIM".padStart(6)}  ${"MSE".padEnd(7)}  ${"vs mean".padStart(8)}  ${"vs ctx avg".padStart(11)}\n`,
    row("GQN, one prior sample", report.model),
    row(`GQN, mean of ${report.predictiveMean.samples} prior samples`, report.predictiveMean),
    row("baseline: context average", contextAverage),
    planeSweep
      ? row("baseline: plane sweep", planeSweep)
      : `  ${"baseline: plane sweep".padEnd(34)} n/a (the cameras' optics are unknown)\n`,
    row("baseline: nearest context view", nearestView),
    row("baseline: mean training image", meanImage),
    formatObjectScores(report),
  ].join("");
}
