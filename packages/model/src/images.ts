import { assertShape, checkInteger } from "@gqn/core";
import type { RgbImage } from "@gqn/data";
import * as tf from "@tensorflow/tfjs-core";

/**
 * One row per scene: its K context views, then the target, then the prediction, each cell
 * framed by a `border`-pixel white line. Values are clipped to [0, 1] before the 0..255 scaling.
 * Async because it reads the pixels back: a GPU backend such as WebGPU has no synchronous read in Node.
 *
 * @param context - `[B, K, H, W, 3]`. Borrowed.
 * @param columns - further `[B, H, W, 3]` images per scene (target, prediction...). Borrowed.
 */
export async function imageGrid(
  context: tf.Tensor5D,
  columns: readonly tf.Tensor4D[],
  border = 1,
): Promise<RgbImage> {
  const [b, k, h, w] = context.shape;
  for (const [i, column] of columns.entries())
    assertShape(column.shape, [b, h, w, 3], "imageGrid", `columns[${i}]`);
  const grid = tf.tidy(() => {
    const cells = [...tf.unstack(context, 1), ...columns].map((cell) =>
      tf.pad(
        tf.clipByValue(cell, 0, 1),
        [
          [0, 0],
          [border, border],
          [border, border],
          [0, 0],
        ],
        1,
      ),
    ); // each [B, H + 2b, W + 2b, 3]
    const rows = tf.concat(cells, 2); // [B, H', (K + n) W', 3]
    const stacked = tf.reshape(rows, [b * (h + 2 * border), (k + columns.length) * (w + 2 * border), 3]);
    return tf.cast(tf.round(tf.mul(stacked, 255)), "int32") as tf.Tensor3D;
  });
  const [height, width] = grid.shape;
  try {
    return { width, height, data: Uint8Array.from(await grid.data()) };
  } finally {
    grid.dispose();
  }
}

/**
 * Images `[N, H, W, 3]` in [0, 1] (clipped) as N separate RGB byte images, e.g. frames of an orbit.
 * Async because it reads the pixels back: a GPU backend such as WebGPU has no synchronous read in Node.
 *
 * @param images - Borrowed.
 */
export async function toRgbImages(images: tf.Tensor4D): Promise<RgbImage[]> {
  const [n, height, width] = images.shape;
  const bytes = tf.tidy(() => tf.cast(tf.round(tf.mul(tf.clipByValue(images, 0, 1), 255)), "int32"));
  let all: Int32Array;
  try {
    all = await bytes.data<"int32">();
  } finally {
    bytes.dispose();
  }
  const size = height * width * 3;
  return Array.from({ length: n }, (_, i) => ({
    width,
    height,
    data: Uint8Array.from(all.subarray(i * size, (i + 1) * size)),
  }));
}

/**
 * An image enlarged `factor` times with nearest-neighbour sampling: 32 px frames become visible
 * in docs and GIFs without blurring what the model drew.
 */
export function scaleImage(image: RgbImage, factor: number): RgbImage {
  checkInteger(factor, "scaleImage", "factor");
  if (factor === 1) return image;
  const width = image.width * factor;
  const height = image.height * factor;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * image.width;
    for (let x = 0; x < width; x++) {
      const from = (row + Math.floor(x / factor)) * 3;
      const to = (y * width + x) * 3;
      rgb[to] = image.data[from] as number;
      rgb[to + 1] = image.data[from + 1] as number;
      rgb[to + 2] = image.data[from + 2] as number;
    }
  }
  return { width, height, data: rgb };
}
