import { Option } from "commander";
import { BACKENDS, type CliIo, depthRange, fail, integer, parse, positive, program } from "./cli-support.js";
import { type EvaluationReport, evaluateCheckpoint } from "./evaluate-checkpoint.js";
import { formatObjectScores } from "./format-object-scores.js";
import type { Score } from "./score-queries.js";

/**
 * The `gqn-eval` command: scores a checkpoint on a dataset split (ELBO; PSNR and SSIM of one prior
 * sample and of the mean of N, beside the baselines) as a table, or as JSON with `--json`.
 * Resolves to the exit code: 0 done, 1 failed (one line on stderr), 2 bad usage.
 */
export async function runEvalCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const command = program("gqn-eval", "Score a trained GQN on a dataset split, beside simple baselines.", io)
    .requiredOption("--model-dir <dir>", "run directory (its newest checkpoint) or a checkpoint directory")
    .requiredOption("--data-dir <dir>", "directory holding <dataset>/{train,test}/*.tfrecord")
    .requiredOption("--dataset <name>", "dataset name")
    .addOption(new Option("--split <name>", "split scored").choices(["test", "train"]).default("test"))
    .option("--scenes <n>", "score the first N scenes (default: all of the split)", integer(1))
    .option(
      "--samples <n>",
      "prior samples averaged for the predictive mean (at most 1000)",
      integer(1, 1000),
      16,
    )
    .option("--context-size <k>", "context views per scene (default: as trained)", integer(1))
    .option("--batch-size <n>", "scenes per batch", integer(1), 8)
    .option("--sigma <s>", "pixel sigma of the ELBO (default: the checkpoint's at its step)", positive)
    .option("--seed <n>", "seed of the queries and latents", integer(0), 1)
    .option(
      "--fov <degrees>",
      "cameras' field of view for the plane sweep baseline (default: the dataset's)",
      positive,
    )
    .option(
      "--depth-range <near,far>",
      "distances along a ray the plane sweep searches (default: the dataset's)",
      depthRange,
    )
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--json", "print the report as JSON")
    .option("--debug", "print stacks on errors");
  const usage = parse(command, argv);
  if (usage !== undefined) return usage;
  const o = command.opts<{
    modelDir: string;
    dataDir: string;
    dataset: string;
    split: "test" | "train";
    scenes?: number;
    samples: number;
    contextSize?: number;
    batchSize: number;
    sigma?: number;
    seed: number;
    fov?: number;
    depthRange?: [number, number];
    backend: (typeof BACKENDS)[number];
    json?: boolean;
    debug?: boolean;
  }>();
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
      modelDir: o.modelDir,
      dataDir: o.dataDir,
      dataset: o.dataset,
      split: o.split,
      samples: o.samples,
      batchSize: o.batchSize,
      seed: o.seed,
      backend: o.backend,
      ...(o.scenes !== undefined && { scenes: o.scenes }),
      ...(o.contextSize !== undefined && { contextSize: o.contextSize }),
      ...(o.sigma !== undefined && { sigma: o.sigma }),
      ...((o.fov !== undefined || o.depthRange !== undefined) && {
        optics: {
          ...(o.fov !== undefined && { fovDegrees: o.fov }),
          ...(o.depthRange !== undefined && { depthRange: o.depthRange }),
        },
      }),
      onProgress,
      log: (line) => stderr.write(`${line}\n`),
    });
    if (stderr.isTTY) stderr.write("\n");
    const stdout = io.stdout ?? process.stdout;
    stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  } catch (error) {
    return fail("gqn-eval", error, o.debug, io);
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
