import { describe, expect, it } from "vitest";
import type { ConvParams } from "../wasm-kernels/conv-engine.js";
import { type Im2colShape, im2col, patchesAreInput } from "./im2col.js";

/** The definition, one element at a time: patch row (b, oy, ox), column (ky, kx, c). */
function naive(x: Float32Array, shape: Im2colShape, { strides, dilations, pads }: ConvParams): Float32Array {
  const [n, h, w, ci] = shape.x;
  const [kh, kw] = shape.kernel;
  const [ho, wo] = shape.out;
  const out = new Float32Array(n * ho * wo * kh * kw * ci);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let c = 0; c < ci; c++, o++) {
              const iy = oy * strides[0] + ky * dilations[0] - pads[0];
              const ix = ox * strides[1] + kx * dilations[1] - pads[2];
              out[o] =
                iy >= 0 && iy < h && ix >= 0 && ix < w ? (x[((b * h + iy) * w + ix) * ci + c] as number) : 0;
            }
  return out;
}

const CASES: Array<{ shape: Im2colShape; params: ConvParams }> = [
  // 'same' k5 on an 8x8 grid (the ConvLSTM cores), long channel runs
  {
    shape: { x: [2, 8, 8, 40], kernel: [5, 5], out: [8, 8] },
    params: { strides: [1, 1], dilations: [1, 1], pads: [2, 2, 2, 2] },
  },
  // k4 s4 'valid' (the canvas downsampling), short runs
  {
    shape: { x: [2, 8, 8, 3], kernel: [4, 4], out: [2, 2] },
    params: { strides: [4, 4], dilations: [1, 1], pads: [0, 0, 0, 0] },
  },
  // asymmetric stride, dilation and padding, non-square
  {
    shape: { x: [1, 7, 9, 5], kernel: [3, 2], out: [4, 4] },
    params: { strides: [2, 3], dilations: [2, 1], pads: [1, 2, 0, 1] },
  },
  // dilation along the width: no contiguous window rows
  {
    shape: { x: [1, 6, 6, 33], kernel: [2, 3], out: [5, 2] },
    params: { strides: [1, 1], dilations: [1, 2], pads: [0, 0, 0, 0] },
  },
  // a window past the input (the filter gradient's crop: out from dy, bottom rows never read)
  {
    shape: { x: [2, 5, 5, 2], kernel: [2, 2], out: [2, 2] },
    params: { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0] },
  },
];

describe("im2col", () => {
  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))(
    "%s matches the definition",
    (_name, { shape, params }) => {
      const xSize = shape.x.reduce((a, b) => a * b, 1);
      const patchSize =
        shape.x[0] * shape.out[0] * shape.out[1] * shape.kernel[0] * shape.kernel[1] * shape.x[3];
      // One array holding x, then garbage, then the patches: im2col must overwrite every patch
      // element (padding included) and touch nothing else.
      const memory = new Float32Array(xSize + 7 + patchSize + 5).fill(Number.NaN);
      for (let i = 0; i < xSize; i++) memory[i] = i + 1;
      im2col(memory, 0, shape, params, xSize + 7);
      expect(Array.from(memory.subarray(xSize + 7, xSize + 7 + patchSize))).toEqual(
        Array.from(naive(memory.subarray(0, xSize), shape, params)),
      );
      expect(Array.from(memory.subarray(xSize, xSize + 7)).every(Number.isNaN)).toBe(true);
      expect(Array.from(memory.subarray(xSize + 7 + patchSize)).every(Number.isNaN)).toBe(true);
    },
  );

  it("a 1x1 stride-1 unpadded convolution's patches are its input; others are not", () => {
    const plain: ConvParams = { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] };
    expect(patchesAreInput({ x: [2, 4, 4, 3], kernel: [1, 1], out: [4, 4] }, plain)).toBe(true);
    expect(
      patchesAreInput({ x: [2, 4, 4, 3], kernel: [1, 1], out: [2, 2] }, { ...plain, strides: [2, 2] }),
    ).toBe(false);
    expect(
      patchesAreInput({ x: [2, 4, 4, 3], kernel: [1, 1], out: [6, 6] }, { ...plain, pads: [1, 1, 1, 1] }),
    ).toBe(false);
    expect(patchesAreInput({ x: [2, 4, 4, 3], kernel: [3, 3], out: [2, 2] }, plain)).toBe(false);
  });
});
