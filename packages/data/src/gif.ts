/// <reference path="./types/gifenc.d.ts" />
// (the reference makes the gifenc typings reach projects that typecheck this file from source)
import { GqnError } from "@gqn/core";
import * as gifencModule from "gifenc";
import type { RgbImage } from "./rgb-image.js";

// gifenc's Node entry is CommonJS (its API on the default export); bundlers pick its ES build.
const gifenc =
  "GIFEncoder" in gifencModule
    ? (gifencModule as unknown as typeof gifencModule.default)
    : gifencModule.default;

/**
 * An animated GIF (looping forever) of same-sized RGB frames, with one palette of up to 256
 * colours quantized from all frames (gifenc), so colours do not shimmer between frames.
 */
export function encodeGif(frames: readonly RgbImage[], options: { delayMs?: number } = {}): Uint8Array {
  const first = frames[0];
  if (!first) throw new GqnError("INVALID_ARGUMENT", "encodeGif: frames must not be empty.");
  const { width, height } = first;
  const pixels = width * height;
  const rgba = new Uint8Array(frames.length * pixels * 4);
  frames.forEach((frame, i) => {
    if (frame.width !== width || frame.height !== height) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `encodeGif: every frame must be ${width}x${height}, but frame ${i} is ${frame.width}x${frame.height}.`,
      );
    }
    for (let p = 0; p < pixels; p++) {
      const o = (i * pixels + p) * 4;
      rgba[o] = frame.data[p * 3] as number;
      rgba[o + 1] = frame.data[p * 3 + 1] as number;
      rgba[o + 2] = frame.data[p * 3 + 2] as number;
      rgba[o + 3] = 255;
    }
  });
  const palette = gifenc.quantize(rgba, 256);
  const gif = gifenc.GIFEncoder();
  const delay = options.delayMs ?? 100;
  for (let i = 0; i < frames.length; i++) {
    // A copy, not a subarray: gifenc's applyPalette reads the whole underlying buffer, so a view
    // made every frame hold all the frames from it on (a 36-frame GIF grew to 5 MB).
    const index = gifenc.applyPalette(rgba.slice(i * pixels * 4, (i + 1) * pixels * 4), palette);
    // The first frame carries the global palette; the others use it.
    gif.writeFrame(index, width, height, { ...(i === 0 && { palette }), delay, repeat: 0 });
  }
  gif.finish();
  return gif.bytes();
}
