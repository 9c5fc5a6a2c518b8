// What a GQN's renders are scored against: the mean training image, the context view nearest the
// query, the average of the context views; and the meters that score them.
import { assertShape, GqnError } from "@gqn/core";
import { psnrFromMse } from "@gqn/model";
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

  /**
   * Adds a batch `[B, H, W, C]` of images (borrowed, not disposed). Async: a GPU backend
   * (WebGPU) has no synchronous read in Node.
   */
  async add(images: tf.Tensor4D): Promise<void> {
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
    const values = await batchSum.data();
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

/**
 * SSIM (Wang et al. 2004) of each image pair, the mean over colour channels and positions of the
 * 11x11 Gaussian-window (sigma 1.5) statistics, valid positions only, as `tf.image.ssim` computes
 * it for images in [0, 1] (C1 = 0.01^2, C2 = 0.03^2). Predictions are clipped to [0, 1] first.
 *
 * @param predictions - `[B, H, W, C]` with H, W >= 11, borrowed.
 * @param targets - the same shape, borrowed.
 * @returns `[B]`, owned by the caller.
 */
export function ssim(predictions: tf.Tensor4D, targets: tf.Tensor4D): tf.Tensor1D {
  assertShape(predictions.shape, [...targets.shape], "ssim", "predictions");
  const [b, h, w, c] = targets.shape;
  if (h < SSIM_WINDOW || w < SSIM_WINDOW) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `ssim: images must be at least ${SSIM_WINDOW}x${SSIM_WINDOW} (the Gaussian window), but got ${h}x${w}.`,
    );
  }
  return tf.tidy(() => {
    const window = gaussianWindow();
    // Channels into the batch, so one single-channel convolution filters them all.
    const planes = (x: tf.Tensor4D) =>
      tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w, 1]) as tf.Tensor4D;
    const filter = (x: tf.Tensor4D) => tf.conv2d(x, window, 1, "valid");
    const x = planes(tf.clipByValue(predictions, 0, 1) as tf.Tensor4D);
    const y = planes(targets);
    const muX = filter(x);
    const muY = filter(y);
    const varX = tf.sub(filter(tf.mul(x, x)), tf.mul(muX, muX));
    const varY = tf.sub(filter(tf.mul(y, y)), tf.mul(muY, muY));
    const cov = tf.sub(filter(tf.mul(x, y)), tf.mul(muX, muY));
    const luminance = tf.div(
      tf.add(tf.mul(2, tf.mul(muX, muY)), SSIM_C1),
      tf.add(tf.add(tf.mul(muX, muX), tf.mul(muY, muY)), SSIM_C1),
    );
    const structure = tf.div(tf.add(tf.mul(2, cov), SSIM_C2), tf.add(tf.add(varX, varY), SSIM_C2));
    const map = tf.mul(luminance, structure); // [B*C, H-10, W-10, 1]
    return tf.mean(tf.reshape(map, [b, -1]), 1) as tf.Tensor1D;
  });
}

const SSIM_WINDOW = 11;
const SSIM_C1 = 0.01 ** 2;
const SSIM_C2 = 0.03 ** 2;

/** The normalised 11x11 Gaussian window (sigma 1.5) as a conv2d filter `[11, 11, 1, 1]`. */
function gaussianWindow(): tf.Tensor4D {
  const half = (SSIM_WINDOW - 1) / 2;
  const g = Array.from({ length: SSIM_WINDOW }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * 1.5 ** 2)));
  const total = g.reduce((a, v) => a + v, 0);
  const values = g.flatMap((gy) => g.map((gx) => (gy * gx) / total ** 2));
  return tf.tensor4d(values, [SSIM_WINDOW, SSIM_WINDOW, 1, 1]);
}

/**
 * MSE, PSNR and (for frames of 11 px and more) SSIM accumulated over a whole split: squared
 * errors summed over pixels, so batches of different sizes weigh by their pixels; SSIM averaged
 * over images.
 */
export class ScoreMeter {
  private squaredError = 0;
  private pixels = 0;
  private ssimSum = 0;
  private images = 0;

  /** Adds predictions against targets, both `[B, H, W, C]` in [0, 1] (borrowed). Predictions are clipped to [0, 1] first, as they are when shown. */
  async add(predictions: tf.Tensor4D, targets: tf.Tensor4D): Promise<void> {
    if (predictions.shape.join() !== targets.shape.join()) {
      throw new Error(
        `ScoreMeter.add: predictions [${predictions.shape.join(", ")}] and targets [${targets.shape.join(", ")}] must have the same shape.`,
      );
    }
    const [, h, w] = targets.shape;
    const withSsim = h >= SSIM_WINDOW && w >= SSIM_WINDOW;
    const sums = tf.tidy(() => {
      const error = tf.sum(tf.squaredDifference(tf.clipByValue(predictions, 0, 1), targets));
      return tf.stack([error, withSsim ? tf.sum(ssim(predictions, targets)) : tf.scalar(0)]);
    });
    const [error = Number.NaN, ssimTotal = Number.NaN] = await sums.data();
    sums.dispose();
    this.squaredError += error;
    this.pixels += targets.size;
    if (withSsim) {
      this.ssimSum += ssimTotal;
      this.images += targets.shape[0];
    }
  }

  /** Mean squared error over everything added. */
  get mse(): number {
    if (this.pixels === 0) throw new Error("ScoreMeter.mse: nothing was added.");
    return this.squaredError / this.pixels;
  }

  /** PSNR of {@link ScoreMeter.mse}, in dB. */
  get psnr(): number {
    return psnrFromMse(this.mse);
  }

  /** Mean SSIM over the images added; NaN when the frames were smaller than its 11 px window. */
  get ssim(): number {
    return this.images === 0 ? Number.NaN : this.ssimSum / this.images;
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
