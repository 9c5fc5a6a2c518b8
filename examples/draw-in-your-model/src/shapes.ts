import type { Random } from "@gqn/core";

/** The classes the example generates. */
export const SHAPE_CLASSES = ["square", "disc", "cross", "ring"] as const;

/**
 * One `size x size` RGB image (float32 in [0, 1], row-major HWC) of a shape of class `label`,
 * at a random position, scale and saturated colour on black: enough variety that the generator
 * needs its latents, small enough to learn in a minute.
 */
function drawShape(label: number, size: number, random: Random): Float32Array {
  const image = new Float32Array(size * size * 3);
  const r = size * (0.22 + 0.12 * random.next());
  const cx = size / 2 + (random.next() - 0.5) * (size - 2 * r) * 0.8;
  const cy = size / 2 + (random.next() - 0.5) * (size - 2 * r) * 0.8;
  const hue = random.next() * 6;
  const colour = [0, 1, 2].map((k) => Math.max(0, Math.min(1, Math.abs(((hue + k * 2) % 6) - 3) - 1)));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const d = Math.hypot(dx, dy);
      const inside =
        label === 0
          ? Math.abs(dx) < r * 0.8 && Math.abs(dy) < r * 0.8
          : label === 1
            ? d < r
            : label === 2
              ? (Math.abs(dx) < r * 0.3 && Math.abs(dy) < r) || (Math.abs(dy) < r * 0.3 && Math.abs(dx) < r)
              : d < r && d > r * 0.55;
      if (inside) image.set(colour, (y * size + x) * 3);
    }
  }
  return image;
}

/** A batch: `images` `[n, size, size, 3]` flattened, and their class labels. */
export function shapeBatch(
  n: number,
  size: number,
  random: Random,
): { images: Float32Array; labels: Int32Array } {
  const images = new Float32Array(n * size * size * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = random.int(SHAPE_CLASSES.length);
    labels[i] = label;
    images.set(drawShape(label, size, random), i * size * size * 3);
  }
  return { images, labels };
}
