import { createRequire } from "node:module";

/** What `@cwasm/jpeg-turbo` (libjpeg-turbo compiled to wasm) returns: RGBA bytes. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

interface CwasmJpeg {
  decode(source: Uint8Array): RgbaImage;
}

// Loaded lazily: the wasm module compiles at load time, and only decoders need it. Kept in its own module
// so the decode worker bundles no encoder (the encoders load a native addon).
let cwasm: CwasmJpeg | undefined;

/** Decodes a JPEG to RGBA with libjpeg-turbo; throws whatever the decoder throws on bad input. */
export function decodeJpegRgba(bytes: Uint8Array): RgbaImage {
  cwasm ??= createRequire(import.meta.url)("@cwasm/jpeg-turbo") as CwasmJpeg;
  return cwasm.decode(bytes);
}
