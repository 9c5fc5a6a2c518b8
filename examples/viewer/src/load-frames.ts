import * as tf from "@tensorflow/tfjs-core";

/**
 * Decodes images (URLs, `data:` URLs or dropped files) into one `[N, size, size, 3]` float32
 * tensor in [0, 1], owned by the caller. Images of another size are scaled to `size` by the
 * browser's smoothing; a non-square image is centre-cropped first.
 */
export async function loadFrames(sources: readonly (string | Blob)[], size: number): Promise<tf.Tensor4D> {
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("loadFrames: no 2D canvas context");
  context.imageSmoothingQuality = "high";
  const pixels = new Float32Array(sources.length * size * size * 3);
  for (const [i, source] of sources.entries()) {
    const blob = typeof source === "string" ? await (await fetch(source)).blob() : source;
    const bitmap = await createImageBitmap(blob);
    const side = Math.min(bitmap.width, bitmap.height);
    context.clearRect(0, 0, size, size);
    context.drawImage(
      bitmap,
      (bitmap.width - side) / 2,
      (bitmap.height - side) / 2,
      side,
      side,
      0,
      0,
      size,
      size,
    );
    bitmap.close();
    const rgba = context.getImageData(0, 0, size, size).data;
    const offset = i * size * size * 3;
    for (let p = 0; p < size * size; p++) {
      pixels[offset + 3 * p] = (rgba[4 * p] as number) / 255;
      pixels[offset + 3 * p + 1] = (rgba[4 * p + 1] as number) / 255;
      pixels[offset + 3 * p + 2] = (rgba[4 * p + 2] as number) / 255;
    }
  }
  return tf.tensor4d(pixels, [sources.length, size, size, 3]);
}

/** Paints `rgb` (`size * size * 3` floats in [0, 1], rows from the top) onto a canvas. */
export function paintRgb(canvas: HTMLCanvasElement, rgb: ArrayLike<number>, size: number): void {
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  const image = context.createImageData(size, size);
  for (let p = 0; p < size * size; p++) {
    image.data[4 * p] = Math.round((rgb[3 * p] as number) * 255);
    image.data[4 * p + 1] = Math.round((rgb[3 * p + 1] as number) * 255);
    image.data[4 * p + 2] = Math.round((rgb[3 * p + 2] as number) * 255);
    image.data[4 * p + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}
