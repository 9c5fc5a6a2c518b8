import { createRequire } from "node:module";
import { checkInteger, GqnError } from "@gqn/core";
import type { Transformer as NapiTransformer } from "@napi-rs/image";
import { decodeJpegRgba } from "./libjpeg.js";
import type { RgbImage } from "./rgb-image.js";

// JPEG codec choice, measured on this 2-core machine (64x64 / 128x128 frames, one core, decodes per second;
// figures taken on a quiet machine agree in ranking):
//   @cwasm/jpeg-turbo (libjpeg-turbo in wasm, sync)   ~24k / ~7k   (4.9k / 1.6k with 6 others busy)
//   @napi-rs/image rawPixelsSync (Rust decoder)        ~22k / ~10k  (7.4k / 1.4k busy)
//   jpeg-js (pure JS)                                   5.6k / 1.5k
//   sharp                                               2.5k (0.4 ms per call overhead)
// `pnpm bench` (bench/data-bench.mjs) re-measures the first two on rendered-like frames: on this machine,
// shared with other jobs, libjpeg-turbo 11-15k / 2.3k, the Rust decoder 7.3-7.9k / 1.5-2.3k.
// Decoding uses libjpeg-turbo (wasm): it is as fast as the native option, and it is the library TensorFlow's
// tf.image.decode_jpeg uses with the same defaults (ISLOW DCT, fancy upsampling), so frames match the pixels
// the Python GQN ports trained on bit for bit; the Rust decoder differs by 1-3 levels on ~5% of pixels.
// Encoding uses @napi-rs/image (mozjpeg-compatible encoder, prebuilt, synchronous): ~3k encodes/s at 64 px
// against ~10/s for jpeg-js; no wasm libjpeg encoder on npm is synchronous. PNG also uses @napi-rs/image.

// Loaded on first encode, not at import: @napi-rs/image is a native addon with prebuilt binaries
// for the common platforms only, and reading or decoding records must work everywhere.
let transformer: typeof NapiTransformer | undefined;

function encoder(where: string): typeof NapiTransformer {
  if (transformer === undefined) {
    try {
      transformer = (createRequire(import.meta.url)("@napi-rs/image") as typeof import("@napi-rs/image"))
        .Transformer;
    } catch (error) {
      throw new GqnError(
        "UNSUPPORTED",
        `${where}: encoding JPEG and PNG needs @napi-rs/image (an optional peer of @gqn/data: npm install @napi-rs/image; @gqn/scenes and @gqn/train bring it), whose binary for ${process.platform}-${process.arch} could not be loaded (${(error as Error).message.split("\n")[0]}). Reading and decoding records does not need it.`,
        { cause: error },
      );
    }
  }
  return transformer;
}

/**
 * Decodes a JPEG to RGB bytes with libjpeg-turbo (TensorFlow's decoder and defaults). Throws a GqnError
 * (`CORRUPT_RECORD`) when `bytes` is not a decodable JPEG.
 */
export function decodeJpeg(bytes: Uint8Array): RgbImage {
  let image: { width: number; height: number; data: Uint8ClampedArray };
  try {
    image = decodeJpegRgba(bytes);
  } catch (error) {
    throw new GqnError("CORRUPT_RECORD", `decodeJpeg: not a decodable JPEG (${(error as Error).message}).`, {
      cause: error,
    });
  }
  const { width, height, data: rgba } = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba[i] as number;
    rgb[j + 1] = rgba[i + 1] as number;
    rgb[j + 2] = rgba[i + 2] as number;
  }
  return { data: rgb, width, height };
}

function toRgba(rgb: Uint8Array, width: number, height: number, where: string): Uint8Array {
  checkInteger(width, where, "width");
  checkInteger(height, where, "height");
  if (rgb.length !== width * height * 3) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: rgb must have ${width * height * 3} bytes (${width}x${height}x3), but got ${rgb.length}.`,
    );
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i] as number;
    rgba[j + 1] = rgb[i + 1] as number;
    rgba[j + 2] = rgb[i + 2] as number;
    rgba[j + 3] = 255;
  }
  return rgba;
}

/** Encodes RGB bytes (`width * height * 3`, row-major) as a baseline JPEG. Deterministic. `quality` 1-100. */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  checkInteger(quality, "encodeJpeg", "quality", { max: 100 });
  const rgba = toRgba(rgb, width, height, "encodeJpeg");
  return new Uint8Array(encoder("encodeJpeg").fromRgbaPixels(rgba, width, height).jpegSync(quality));
}

/** Encodes RGB bytes (`width * height * 3`, row-major) as a PNG. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const rgba = toRgba(rgb, width, height, "encodePng");
  return new Uint8Array(encoder("encodePng").fromRgbaPixels(rgba, width, height).pngSync());
}
