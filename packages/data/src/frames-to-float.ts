/**
 * Writes an RGBA image (or RGB with `channels` 3) as float32 RGB in [0, 1] into `out` at `offset` (`outWidth * outHeight * 3` floats),
 * resizing bilinearly with corners aligned when the sizes differ (`tf.image.resizeBilinear(x, size, true)`,
 * TensorFlow's `align_corners=True`: the corner pixels of input and output coincide). Platform-neutral.
 *
 * Written by hand rather than with tfjs ops: it runs in decode workers, which have no tfjs engine, and it
 * fuses RGBA -> RGB, uint8 -> float and the resize into one pass over the frame.
 */
export function rgbaToFloatRgb(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  out: Float32Array,
  offset: number,
  outWidth = width,
  outHeight = height,
  channels: 3 | 4 = 4,
): void {
  const scale = 1 / 255;
  if (outWidth === width && outHeight === height) {
    for (let i = 0, j = offset, n = width * height * channels; i < n; i += channels, j += 3) {
      out[j] = (rgba[i] as number) * scale;
      out[j + 1] = (rgba[i + 1] as number) * scale;
      out[j + 2] = (rgba[i + 2] as number) * scale;
    }
    return;
  }
  // Same arithmetic as tfjs' resizeBilinear kernel with alignCorners: source = dst * (in - 1) / (out - 1),
  // interpolated on the 0-255 values, then scaled (linear, so the order does not change the result).
  const ry = outHeight > 1 ? (height - 1) / (outHeight - 1) : 0;
  const rx = outWidth > 1 ? (width - 1) / (outWidth - 1) : 0;
  const x0s = new Int32Array(outWidth);
  const x1s = new Int32Array(outWidth);
  const fxs = new Float32Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    const sx = x * rx;
    const x0 = Math.floor(sx);
    x0s[x] = x0 * channels;
    x1s[x] = Math.min(x0 + 1, width - 1) * channels;
    fxs[x] = sx - x0;
  }
  let j = offset;
  for (let y = 0; y < outHeight; y++) {
    const sy = y * ry;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const top = y0 * width * channels;
    const bottom = Math.min(y0 + 1, height - 1) * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const a = x0s[x] as number;
      const b = x1s[x] as number;
      const fx = fxs[x] as number;
      for (let c = 0; c < 3; c++) {
        const tl = rgba[top + a + c] as number;
        const tr = rgba[top + b + c] as number;
        const bl = rgba[bottom + a + c] as number;
        const br = rgba[bottom + b + c] as number;
        const t = tl + (tr - tl) * fx;
        const u = bl + (br - bl) * fx;
        out[j++] = (t + (u - t) * fy) * scale;
      }
    }
  }
}
