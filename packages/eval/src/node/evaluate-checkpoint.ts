// A checkpoint scored on a dataset split: its ELBO, and PSNR/SSIM of one prior sample and of the
// mean of N samples beside the baselines, on the same queries. gqn-eval prints it; the main
// job calls it on its final checkpoint, so the two report the same figures.
import { checkInteger, deriveSeed, GqnError } from "@gqn/core";
import type { SceneBatch } from "@gqn/data/node";
import { bitsPerDim } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { dataNotes } from "./data-notes.js";
import { annealedSigma } from "./load-trained-model.js";
import { type ModelOnDataOptions, openModelOnData } from "./model-on-data.js";
import {
  type BaselineRecord,
  type CameraOptics,
  disposeFirstBatch,
  meanTrainingImage,
  type QueryScores,
  type Score,
  scoreQueries,
} from "./score-queries.js";

/** Options of {@link evaluateCheckpoint}. */
export interface EvaluateCheckpointOptions extends ModelOnDataOptions {
  /** The split scored; default "test". */
  split?: "train" | "test";
  /** Score only the first N scenes; default all of the split. */
  scenes?: number;
  /** Prior samples averaged for the predictive mean; default 16. */
  samples?: number;
  /** Scenes per batch; default 8. */
  batchSize?: number;
  /** Seeds the queries and the latents; default 1. */
  seed?: number;
  /** Pixel sigma of the ELBO; default the checkpoint's annealed sigma at its step. */
  sigma?: number;
  /** Training frames averaged into the mean-image baseline; default 2,000. */
  meanImages?: number;
  /** JPEG decoding threads of the data loader; default @gqn/data's. */
  dataWorkers?: number;
  /** The cameras' field of view and depth range for the plane sweep baseline, over the dataset's. */
  optics?: Partial<CameraOptics>;
  /** Keep the first batch's tensors for a picture (the caller disposes them). */
  keepFirstBatch?: boolean;
  /** Called after each batch with the scenes scored so far. */
  onProgress?: (scenes: number) => void;
}

/** What {@link evaluateCheckpoint} measured. */
export interface EvaluationReport {
  checkpoint: string;
  step: number;
  dataset: string;
  split: "train" | "test";
  /** Scenes scored, one query view each. */
  scenes: number;
  contextSize: number;
  /** The negative ELBO of the query views (posterior pass), averaged over scenes, at `sigma`. */
  elbo: { nats: number; bitsPerDim: number; sigma: number };
  /** One prior sample per query. */
  model: Score;
  /** The mean of `samples` prior samples per query: the model's least-squares guess. */
  predictiveMean: Score & { samples: number };
  baselines: BaselineRecord<Score>;
  /** Whether the dataset has object masks: then every score above has `objects` (docs/training.md#object-scores). */
  objectMasks: boolean;
  firstBatch?: QueryScores<"model" | "predictiveMean">["firstBatch"];
}

/**
 * Loads a checkpoint and scores it on a split: ELBO, and PSNR and SSIM of one sample and of the
 * predictive mean beside the mean image, nearest context view, context average and plane sweep
 * baselines.
 *
 * @throws GqnError `CHECKPOINT_ERROR` for a checkpoint that cannot be read or holds non-finite
 *   weights, `INVALID_ARGUMENT` for bad counts.
 */
export async function evaluateCheckpoint(options: EvaluateCheckpointOptions): Promise<EvaluationReport> {
  const samples = options.samples ?? 16;
  const batchSize = options.batchSize ?? 8;
  for (const [name, value] of [
    ["samples", samples],
    ["batchSize", batchSize],
    ["scenes", options.scenes ?? 1],
    ["contextSize", options.contextSize ?? 1],
  ] as const) {
    checkInteger(value, "evaluateCheckpoint", name);
  }
  const split = options.split ?? "test";
  const seed = options.seed ?? 1;
  const { trained, contextSize, log } = await openModelOnData(options, "evaluateCheckpoint", "scoring", 5);
  const { model } = trained;
  try {
    const step = trained.step ?? 0;
    const sigma = options.sigma ?? (trained.training ? annealedSigma(trained.training.sigma, step) : 0.7);
    const data = {
      dataDir: options.dataDir,
      dataset: options.dataset,
      frameSize: model.config.frameSize,
      ...(options.dataWorkers !== undefined && { workers: options.dataWorkers }),
      warn: dataNotes(log),
    };
    const mean = await meanTrainingImage(data, { images: options.meanImages ?? 2000, seed });
    const render = (n: number) => (batch: SceneBatch) =>
      tf.tidy(() =>
        model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, {
          seed,
          samples: n,
          context: { frames: batch.contextFrames, poses: batch.contextPoses },
        }),
      );
    let elboSum = 0;
    let scores: QueryScores<"model" | "predictiveMean">;
    try {
      scores = await scoreQueries(data, {
        mean,
        contextSize,
        batchSize,
        seed: deriveSeed(seed, "queries"),
        split,
        ...(options.scenes !== undefined && { scenes: options.scenes }),
        renderers: { model: render(1), predictiveMean: render(samples) },
        onBatch: async (batch) => {
          const loss = tf.tidy(() => model.lossTerms(batch, sigma, { seed }).loss);
          elboSum += ((await loss.data())[0] as number) * batch.target.shape[0];
          loss.dispose();
        },
        ...(options.onProgress && { onProgress: options.onProgress }),
        ...(options.optics && { optics: options.optics }),
      });
    } finally {
      mean.dispose();
    }
    const size = model.config.frameSize;
    const nats = elboSum / scores.scenes;
    const report: EvaluationReport = {
      checkpoint: trained.path,
      step,
      dataset: options.dataset,
      split,
      scenes: scores.scenes,
      contextSize,
      elbo: { nats, bitsPerDim: bitsPerDim(nats, size * size * 3), sigma },
      model: scores.renders.model,
      predictiveMean: { samples, ...scores.renders.predictiveMean },
      baselines: scores.baselines,
      objectMasks: scores.objectMasks,
    };
    requireFiniteReport(report);
    if (options.keepFirstBatch) {
      if (scores.firstBatch) report.firstBatch = scores.firstBatch;
    } else {
      disposeFirstBatch(scores.firstBatch);
    }
    return report;
  } finally {
    model.dispose();
  }
}

/** A score that is NaN or infinite is no score: NON_FINITE, naming the figure. */
function requireFiniteReport(report: EvaluationReport): void {
  const figures: [string, number][] = [
    ["ELBO", report.elbo.nats],
    ["the one-sample PSNR", report.model.psnr],
    ["the predictive mean's PSNR", report.predictiveMean.psnr],
  ];
  for (const [name, value] of figures) {
    if (!Number.isFinite(value)) {
      throw new GqnError(
        "NON_FINITE",
        `evaluateCheckpoint: ${report.checkpoint} gives ${name} ${value} on ${report.dataset} ${report.split}: the model's outputs are not finite numbers.`,
      );
    }
  }
}
