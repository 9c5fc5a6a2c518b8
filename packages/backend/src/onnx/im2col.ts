import type { ConvParams } from "../wasm-kernels/conv-engine.js";

/** The geometry of one convolution as {@link im2col} reads it. */
export interface Im2colShape {
  /** Input, NHWC: `[N, H, W, Ci]`. */
  readonly x: readonly [number, number, number, number];
  /** Filter height and width. */
  readonly kernel: readonly [number, number];
  /** Output height and width (the caller's: a filter gradient takes them from dy). */
  readonly out: readonly [number, number];
}

/** Whether the patch matrix of a convolution is its input itself (1x1, stride 1, no padding). */
export function patchesAreInput(shape: Im2colShape, { strides, pads }: ConvParams): boolean {
  return (
    shape.kernel[0] === 1 &&
    shape.kernel[1] === 1 &&
    strides[0] === 1 &&
    strides[1] === 1 &&
    pads.every((p) => p === 0) &&
    shape.out[0] === shape.x[1] &&
    shape.out[1] === shape.x[2]
  );
}

/**
 * Writes the patches of an NHWC convolution as one matrix `[N*Ho*Wo, kh*kw*Ci]`, rows in NHWC
 * output order and columns in HWIO filter order, so that the whole batch's convolution is one
 * matrix product with the filter as it is (`[kh*kw*Ci, Co]`), and its filter gradient one product
 * with `dy` as it is (`[N*Ho*Wo, Co]`). Zero where a window reads padding. A large product is what
 * a GEMM runs near its peak; one image at a time, an 8x8 grid gives it only 64 rows.
 *
 * The input (at `xAt`) and the matrix (at `outAt`) are in one array, the wasm heap, so each run is
 * one `copyWithin` (a memmove, no view objects): runs of `kw*Ci` floats are contiguous in NHWC
 * wherever a window row lies inside the image (dilation 1). Written by hand because it is a copy
 * loop; as `set(subarray)` across two buffers it was ~2x slower.
 */
export function im2col(
  memory: Float32Array,
  xAt: number,
  shape: Im2colShape,
  { strides: [sh, sw], dilations: [dh, dw], pads: [top, , left] }: ConvParams,
  outAt: number,
): void {
  const [n, h, w, ci] = shape.x;
  const [kh, kw] = shape.kernel;
  const [ho, wo] = shape.out;
  const rowLength = kw * ci;
  let o = outAt;
  for (let b = 0; b < n; b++) {
    const image = xAt + b * h * w * ci;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const ix0 = ox * sw - left;
        const rowInside = dw === 1 && ix0 >= 0 && ix0 + kw <= w;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - top;
          if (iy < 0 || iy >= h) {
            memory.fill(0, o, o + rowLength);
          } else if (rowInside) {
            const s = image + (iy * w + ix0) * ci;
            memory.copyWithin(o, s, s + rowLength);
          } else {
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * dw;
              const to = o + kx * ci;
              if (ix < 0 || ix >= w) {
                memory.fill(0, to, to + ci);
              } else {
                const s = image + (iy * w + ix) * ci;
                memory.copyWithin(to, s, s + ci);
              }
            }
          }
          o += rowLength;
        }
      }
    }
  }
}
