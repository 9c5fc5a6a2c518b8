// Evaluation on the test split during training: the metrics, the image grids, and the test
// batches both read, built once per run with what they need.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { deriveSeed, GqnError, isGqnError } from "@gqn/core";
import { writeFileAtomic } from "@gqn/core/node";
import { createSceneBatches, encodePng, type SceneBatch, type SceneBatchIterator } from "@gqn/data/node";
import { dataNotes, type ObjectScore, QueryObjectScores } from "@gqn/eval/node";
import { type EvalMetrics, type GqnModel, imageGrid, psnrFromMse } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { annealed, type LinearAnneal } from "../schedules.js";
import { EvalProgress } from "./eval-progress.js";
import { priorAndPosterior, targetPriorPosteriorGrid } from "./prior-and-posterior.js";
import type { TensorBoardWriter } from "./tensorboard-writer.js";

/** What an {@link Evaluator} reads: the model, the test data and where grids go. */
export interface EvaluatorSetup {
  model: GqnModel;
  /** The run's data: the test split of `dataset` in `dataDir`, read like the training batches. */
  data: {
    dataDir: string;
    dataset: string;
    dataWorkers?: number;
    requireAllShards?: boolean;
    /**
     * What a bad test record does, as for the training split: "skip" passes over it (and over
     * unreadable object masks, scoring without them), "error" (the default) stops the evaluation.
     */
    onCorrupt?: "error" | "skip";
  };
  /** Seeds the test scenes' order and the evaluation's and grids' latents. */
  seed: number;
  /** Scenes per test batch. */
  batchSize: number;
  /** Context views per test scene: the largest K of training. */
  contextSize: number;
  frameSize: number;
  /** The pixel sigma schedule: the ELBO is taken at the step's sigma. */
  sigma: LinearAnneal;
  /** Test batches per evaluation, averaged. */
  evalBatches: number;
  /** Grids go to `<modelDir>/images/step-<step>.png`. */
  modelDir: string;
  board: TensorBoardWriter | undefined;
  say: (line: string) => void;
}

/** A periodic evaluation's metrics; `objects` where the dataset has object masks. */
export interface RunEvalMetrics extends EvalMetrics {
  /** Object and background PSNR and object IoU of one prior render per query (see gqn-eval). */
  objects?: ObjectScore;
}

/** Evaluates a training run's model on the first test batches (the same scenes every time). */
export class Evaluator {
  /** Set once the test split's object masks failed to read under onCorrupt "skip": scored without them from then on. */
  private masksUnreadable = false;

  constructor(private readonly setup: EvaluatorSetup) {}

  /**
   * The test metrics at `step`, averaged over `evalBatches` batches; with `grid`, the first
   * batch's image grid too. Where the dataset has object masks, one prior render per query is
   * scored on its objects too, so a run's log shows when (whether) objects appear.
   */
  async evaluate(step: number, options: { grid: boolean }): Promise<RunEvalMetrics> {
    const { model, seed, evalBatches, data } = this.setup;
    const sigma = annealed(this.setup.sigma, step);
    const sums = { elbo: 0, nll: 0, kl: 0, bitsPerDim: 0, mse: 0 };
    let n = 0;
    let objects = this.masksUnreadable
      ? undefined
      : await QueryObjectScores.open({ ...data, frameSize: this.setup.frameSize }, "test");
    let batches: SceneBatchIterator | undefined;
    const progress = new EvalProgress({ step, batches: evalBatches, say: this.setup.say });
    try {
      batches = this.testBatches(dataNotes(this.setup.say));
      for await (const batch of batches) {
        try {
          // The object scores take the render the whole-image MSE was taken on: one sample for both.
          const { render, ...m } = await model.evaluate(batch, sigma, {
            seed: deriveSeed(seed, "evaluation"),
            keepRender: objects !== undefined,
          });
          for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += m[key];
          n++;
          if (objects && render && !(await this.scoreObjects(objects, batch, render))) {
            await objects.close();
            objects = undefined;
          }
          if (options.grid && n === 1) await this.writeGrid(batch, step);
        } finally {
          batch.dispose();
        }
        progress.batchDone(n);
        if (n >= evalBatches) break;
      }
    } finally {
      await batches?.close();
      await objects?.close();
    }
    if (n === 0) {
      throw new GqnError("IO_ERROR", `train: the test split of ${data.dataset} gave no batch to evaluate.`);
    }
    const mse = sums.mse / n;
    return {
      elbo: sums.elbo / n,
      nll: sums.nll / n,
      kl: sums.kl / n,
      bitsPerDim: sums.bitsPerDim / n,
      mse,
      psnr: psnrFromMse(mse),
      ...(objects && n > 0 && { objects: objects.result("prior") }),
    };
  }

  /**
   * Adds the batch's prior render (the one evaluate scored) to the object scores (no posterior:
   * only the grid shows it). False when the masks could not be read and onCorrupt is "skip": the
   * evaluation then goes on without object scores, said once.
   */
  private async scoreObjects(
    objects: QueryObjectScores,
    batch: SceneBatch,
    prior: tf.Tensor4D,
  ): Promise<boolean> {
    try {
      await objects.add(batch, { prior });
      return true;
    } catch (error) {
      if (this.setup.data.onCorrupt !== "skip" || !isGqnError(error)) throw error;
      this.masksUnreadable = true;
      this.setup.say(
        `[gqn] the test split's object masks could not be read (${error.message.replace(/\.$/, "")}); skipping bad records, the evaluations go on without object scores.`,
      );
      return false;
    } finally {
      prior.dispose();
    }
  }

  /** The image grid of the first test batch at `step`, without evaluating. */
  async renderGrid(step: number): Promise<void> {
    const batches = this.testBatches(() => {});
    try {
      const next = await batches.next();
      if (next.done) return;
      try {
        await this.writeGrid(next.value, step);
      } finally {
        next.value.dispose();
      }
    } finally {
      await batches.close();
    }
  }

  private testBatches(warn: (line: string) => void): SceneBatchIterator {
    const { data, seed, batchSize, contextSize, frameSize } = this.setup;
    return createSceneBatches({
      dataDir: data.dataDir,
      dataset: data.dataset,
      split: "test",
      batchSize,
      contextSize,
      frameSize,
      seed,
      repeat: true,
      shuffleBuffer: 1,
      ...(data.onCorrupt !== undefined && { onCorrupt: data.onCorrupt }),
      ...(data.dataWorkers !== undefined && { workers: data.dataWorkers }),
      ...(data.requireAllShards && { requireAllShards: true }),
      warn,
    });
  }

  /** `images/step-<step>.png`: one row per scene, context views | target | prior prediction. */
  private async writeGrid(batch: SceneBatch, step: number): Promise<void> {
    const { model, seed, modelDir, board } = this.setup;
    const { prior: prediction, posterior } = priorAndPosterior(model, batch, deriveSeed(seed, "image grid"));
    let grid: Awaited<ReturnType<typeof imageGrid>>;
    let posteriorGrid: Awaited<ReturnType<typeof imageGrid>>;
    try {
      grid = await imageGrid(batch.contextFrames, [batch.target, prediction]);
      posteriorGrid = await targetPriorPosteriorGrid(batch.target, prediction, posterior);
    } finally {
      tf.dispose([prediction, posterior]);
    }
    const dir = join(modelDir, "images");
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(
      join(dir, `step-${String(step).padStart(8, "0")}.png`),
      encodePng(grid.data, grid.width, grid.height),
    );
    board?.image(step, "test/context_target_prediction", grid);
    board?.image(step, "test/target_prior_posterior", posteriorGrid);
  }
}
