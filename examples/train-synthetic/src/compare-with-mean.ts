import { createSceneBatches, type SceneBatch } from "@gqn/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { MeanImage, MseMeter } from "./mean-image.js";

/** Where the scenes come from. */
export interface DatasetRef {
  dataDir: string;
  dataset: string;
  /** Decoding worker threads (0: on this thread); default @gqn/data's. */
  workers?: number;
}

/**
 * The per-pixel mean of `images` training frames (queries of shuffled training scenes, which are
 * uniformly drawn views). Owned by the caller.
 */
export async function meanTrainingImage(
  data: DatasetRef,
  options: { images: number; seed: number },
): Promise<tf.Tensor3D> {
  const mean = new MeanImage();
  const batches = createSceneBatches({
    ...data,
    split: "train",
    batchSize: 32,
    contextSize: 1,
    seed: options.seed,
    repeat: false,
  });
  try {
    for await (const batch of batches) {
      mean.add(batch.target);
      batch.dispose();
      if (mean.images >= options.images) break;
    }
  } finally {
    await batches.close();
  }
  return mean.result();
}

/** Renders the query view of each scene of a batch, `[B, H, W, 3]`, owned by the caller. */
export type RenderQueries = (batch: SceneBatch) => tf.Tensor4D | Promise<tf.Tensor4D>;

/** Result of {@link compareWithMeanImage}. */
export interface MeanImageComparison {
  /** Test scenes compared (one query view each). */
  scenes: number;
  model: { mse: number; psnr: number };
  meanImage: { mse: number; psnr: number };
  /** The first batch, for a picture: context views, targets, predictions and the mean image (owned by the caller). */
  firstBatch?: {
    contextFrames: tf.Tensor5D;
    target: tf.Tensor4D;
    prediction: tf.Tensor4D;
    mean: tf.Tensor4D;
  };
}

/**
 * Mean squared error and PSNR over the whole test split, of the model's renders and of always
 * predicting `mean`, on the very same queries: one pass, fixed seed, no repeat.
 */
export async function compareWithMeanImage(
  data: DatasetRef,
  options: { render: RenderQueries; mean: tf.Tensor3D; contextSize: number; batchSize: number; seed: number },
): Promise<MeanImageComparison> {
  const model = new MseMeter();
  const baseline = new MseMeter();
  let scenes = 0;
  let firstBatch: MeanImageComparison["firstBatch"];
  const batches = createSceneBatches({
    ...data,
    split: "test",
    batchSize: options.batchSize,
    contextSize: options.contextSize,
    seed: options.seed,
    repeat: false,
  });
  try {
    for await (const batch of batches) {
      const prediction = await options.render(batch);
      const mean = tf.tidy(
        () => tf.broadcastTo(tf.expandDims(options.mean, 0), batch.target.shape) as tf.Tensor4D,
      );
      model.add(prediction, batch.target);
      baseline.add(mean, batch.target);
      scenes += batch.target.shape[0];
      if (firstBatch === undefined) {
        firstBatch = {
          contextFrames: tf.clone(batch.contextFrames),
          target: tf.clone(batch.target),
          prediction,
          mean,
        };
      } else {
        tf.dispose([prediction, mean]);
      }
      batch.dispose();
    }
  } catch (error) {
    // A failed pass returns nothing, so the tensors kept for the picture would leak.
    if (firstBatch !== undefined) tf.dispose(Object.values(firstBatch));
    throw error;
  } finally {
    await batches.close();
  }
  const result: MeanImageComparison = {
    scenes,
    model: { mse: model.mse, psnr: model.psnr },
    meanImage: { mse: baseline.mse, psnr: baseline.psnr },
  };
  if (firstBatch !== undefined) result.firstBatch = firstBatch;
  return result;
}
