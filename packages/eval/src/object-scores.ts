// Scores of a render on the objects of a scene, from the query view's object mask: PSNR over the
// object pixels and over the background, and how well the render's object pixels overlap the
// target's (docs/training.md#object-scores).
import { assertShape } from "@gqn/core";
import { psnrFromMse } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";

/**
 * How far (the largest of the three channel differences, images in [0, 1]) a pixel must be from
 * the background there to count as showing an object: 0.15 is about 38 of 255 levels, above JPEG
 * noise and a blurred wall's drift, below the contrast of the rooms' objects with their walls and
 * floors.
 */
export const OBJECT_PIXEL_THRESHOLD = 0.15;

/** The masks of a batch's query views, as tensors (borrowed by the meter). */
export interface ObjectMaskTensors {
  /** `[B, H, W]`: 0 for the background, 1..N for the objects. */
  ids: tf.Tensor3D;
  /** `[B, H, W, 3]` in [0, 1]: what lies behind each object pixel (ignored where `ids` is 0). */
  behind: tf.Tensor4D;
}

/** Object-aware scores over a split. */
export interface ObjectScore {
  /** MSE and PSNR (dB) over the pixels the query view's mask gives to objects. */
  objectMse: number;
  objectPsnr: number;
  /** MSE and PSNR (dB) over the other pixels: walls, floor, sky. */
  backgroundMse: number;
  backgroundPsnr: number;
  /**
   * Intersection over union of the render's object pixels and the target's, pooled over the split
   * (NaN when neither has any): see {@link objectPixels}.
   */
  iou: number;
}

/**
 * The pixels where `images` show an object: more than `threshold` away, in some channel, from the
 * query view's background, which is the target itself off the mask and `behind` (what the
 * objects hide) on it. Only the target's background is used, never its objects, so a render is
 * judged by where it departs from the empty room; the target's own object pixels are those it
 * shows apart from what lies behind them (nearly all of the mask).
 *
 * @param images - `[B, H, W, 3]`, borrowed; clipped to [0, 1] first.
 * @returns `[B, H, W]` booleans, owned by the caller.
 */
export function objectPixels(
  images: tf.Tensor4D,
  targets: tf.Tensor4D,
  masks: ObjectMaskTensors,
  threshold = OBJECT_PIXEL_THRESHOLD,
): tf.Tensor3D {
  const [b, h, w] = targets.shape;
  assertShape(images.shape, [b, h, w, 3], "objectPixels", "images");
  assertShape(masks.ids.shape, [b, h, w], "objectPixels", "masks.ids");
  assertShape(masks.behind.shape, [b, h, w, 3], "objectPixels", "masks.behind");
  return tf.tidy(() => {
    const onObject = tf.expandDims(tf.greater(masks.ids, 0), 3); // [B, H, W, 1]
    const background = tf.where(tf.broadcastTo(onObject, targets.shape), masks.behind, targets);
    const distance = tf.max(tf.abs(tf.sub(tf.clipByValue(images, 0, 1), background)), 3); // [B, H, W]
    return tf.greater(distance, threshold) as tf.Tensor3D;
  });
}

/**
 * Accumulates {@link ObjectScore} over batches: squared errors summed over the object and the
 * background pixels apart, and the intersections and unions of object pixels, so every pixel of
 * the split weighs the same.
 */
export class ObjectScoreMeter {
  private readonly sums = new Float64Array(6);

  constructor(private readonly threshold = OBJECT_PIXEL_THRESHOLD) {}

  /** Adds predictions against targets (`[B, H, W, 3]` in [0, 1], borrowed) with the targets' masks. */
  async add(predictions: tf.Tensor4D, targets: tf.Tensor4D, masks: ObjectMaskTensors): Promise<void> {
    assertShape(predictions.shape, [...targets.shape], "ObjectScoreMeter.add", "predictions");
    const sums = tf.tidy(() => {
      const onObject = tf.cast(tf.greater(masks.ids, 0), "float32"); // [B, H, W]
      const error = tf.sum(tf.squaredDifference(tf.clipByValue(predictions, 0, 1), targets), 3); // [B, H, W]
      const objectError = tf.sum(tf.mul(error, onObject));
      const predicted = objectPixels(predictions, targets, masks, this.threshold);
      const actual = objectPixels(targets, targets, masks, this.threshold);
      return tf.stack([
        objectError,
        tf.sub(tf.sum(error), objectError),
        tf.mul(tf.sum(onObject), 3),
        tf.sum(tf.cast(tf.logicalAnd(predicted, actual), "float32")),
        tf.sum(tf.cast(tf.logicalOr(predicted, actual), "float32")),
      ]);
    });
    const values = await sums.data();
    sums.dispose();
    for (let i = 0; i < 5; i++) this.sums[i] = (this.sums[i] as number) + (values[i] as number);
    this.sums[5] = (this.sums[5] as number) + targets.size;
  }

  /** The scores so far; MSEs are NaN where the split had no such pixels. */
  result(): ObjectScore {
    const [objectError, backgroundError, objectValues, intersection, union, values] = this
      .sums as unknown as [number, number, number, number, number, number];
    const objectMse = objectValues > 0 ? objectError / objectValues : Number.NaN;
    const backgroundValues = values - objectValues;
    const backgroundMse = backgroundValues > 0 ? backgroundError / backgroundValues : Number.NaN;
    return {
      objectMse,
      objectPsnr: Number.isNaN(objectMse) ? Number.NaN : psnrFromMse(objectMse),
      backgroundMse,
      backgroundPsnr: Number.isNaN(backgroundMse) ? Number.NaN : psnrFromMse(backgroundMse),
      iou: union > 0 ? intersection / union : Number.NaN,
    };
  }
}
