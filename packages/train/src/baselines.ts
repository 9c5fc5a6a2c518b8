// What a GQN's renders are scored against: the mean training image, the context view nearest the
// query, the average of the context views; and the meters that score them.
import { assertShape } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/**
 * The baseline every renderer must beat: the per-pixel mean of the training images, predicted for
 * every query whatever the context. Accumulated in float64 on the JS side, because a running
 * float32 sum over thousands of frames drifts.
 */
export class MeanImage {
  private sum: Float64Array | undefined;
  private shape: [number, number, number] | undefined;
  private count = 0;

  /** Adds a batch `[B, H, W, C]` of images (borrowed, not disposed). */
  add(images: tf.Tensor4D): void {
    const [batch, height, width, channels] = images.shape;
    if (this.shape === undefined) {
      this.shape = [height, width, channels];
      this.sum = new Float64Array(height * width * channels);
    } else if (this.shape.join() !== [height, width, channels].join()) {
      throw new Error(
        `MeanImage.add: images must have shape [B, ${this.shape.join(", ")}], but got [${images.shape.join(", ")}].`,
      );
    }
    const batchSum = tf.tidy(() => tf.sum(images, 0));
    const values = batchSum.dataSync();
    batchSum.dispose();
    const sum = this.sum as Float64Array;
    for (let i = 0; i < values.length; i++) sum[i] = (sum[i] as number) + (values[i] as number);
    this.count += batch;
  }

  /** Images added so far. */
  get images(): number {
    return this.count;
  }

  /** The mean image `[H, W, C]` (owned by the caller). */
  result(): tf.Tensor3D {
    if (this.sum === undefined || this.shape === undefined || this.count === 0) {
      throw new Error("MeanImage.result: no images were added.");
    }
    const mean = Float32Array.from(this.sum, (value) => value / this.count);
    return tf.tensor3d(mean, this.shape);
  }
}

/** Peak signal-to-noise ratio, in dB, of images in [0, 1] with mean squared error `mse`. */
export function psnr(mse: number): number {
  return mse > 0 ? 10 * Math.log10(1 / mse) : Number.POSITIVE_INFINITY;
}

/**
 * Mean squared error accumulated over a whole split: the sum of squared pixel errors and the pixel
 * count, so batches of different sizes weigh by their pixels.
 */
export class MseMeter {
  private squaredError = 0;
  private pixels = 0;

  /** Adds predictions against targets, both `[B, H, W, C]` in [0, 1] (borrowed). Predictions are clipped to [0, 1] first, as they are when shown. */
  add(predictions: tf.Tensor4D, targets: tf.Tensor4D): void {
    if (predictions.shape.join() !== targets.shape.join()) {
      throw new Error(
        `MseMeter.add: predictions [${predictions.shape.join(", ")}] and targets [${targets.shape.join(", ")}] must have the same shape.`,
      );
    }
    const total = tf.tidy(() => tf.sum(tf.squaredDifference(tf.clipByValue(predictions, 0, 1), targets)));
    this.squaredError += total.dataSync()[0] as number;
    total.dispose();
    this.pixels += targets.size;
  }

  /** Mean squared error over everything added. */
  get mse(): number {
    if (this.pixels === 0) throw new Error("MseMeter.mse: nothing was added.");
    return this.squaredError / this.pixels;
  }

  /** PSNR of {@link MseMeter.mse}, in dB. */
  get psnr(): number {
    return psnr(this.mse);
  }
}

/**
 * For each scene, the context view whose camera is nearest the query camera: the smallest
 * Euclidean distance between 7-d poses (position, and the sine and cosine of yaw and pitch), so
 * position and viewing direction both count.
 *
 * @param contextFrames - `[B, K, H, W, C]`, borrowed.
 * @param contextPoses - `[B, K, 7]`, borrowed.
 * @param queryPose - `[B, 7]`, borrowed.
 * @returns `[B, H, W, C]`, owned by the caller.
 */
export function nearestContextView(
  contextFrames: tf.Tensor5D,
  contextPoses: tf.Tensor3D,
  queryPose: tf.Tensor2D,
): tf.Tensor4D {
  const [b, k] = contextFrames.shape;
  assertShape(contextPoses.shape, [b, k, 7], "nearestContextView", "contextPoses");
  assertShape(queryPose.shape, [b, 7], "nearestContextView", "queryPose");
  return tf.tidy(() => {
    const distance = tf.sum(tf.squaredDifference(contextPoses, tf.expandDims(queryPose, 1)), 2); // [B, K]
    const pick = tf.oneHot(tf.argMin(distance, 1), k) as tf.Tensor2D; // [B, K]
    const weights = tf.reshape(pick, [b, k, 1, 1, 1]);
    return tf.sum(tf.mul(contextFrames, weights), 1) as tf.Tensor4D; // [B, H, W, C]
  });
}

/**
 * The per-pixel average of each scene's context views: a blur of the room's colours from where
 * the cameras stood, the baseline a GQN must beat to show it used the query pose.
 *
 * @param contextFrames - `[B, K, H, W, C]`, borrowed.
 * @returns `[B, H, W, C]`, owned by the caller.
 */
export function contextAverage(contextFrames: tf.Tensor5D): tf.Tensor4D {
  return tf.tidy(() => tf.mean(contextFrames, 1) as tf.Tensor4D);
}
