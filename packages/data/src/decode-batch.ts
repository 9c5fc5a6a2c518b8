import { rgbaToFloatRgb } from "./frames-to-float.js";
import { decodeJpegRgba } from "./libjpeg.js";

/**
 * One batch's decoding work, as sent to a decode worker: the selected JPEG frames of `scenes` scenes, packed
 * into one buffer (a subarray would make postMessage copy its whole record), context views first and the
 * query view last for each scene.
 */
export interface DecodeBatchJob {
  id: number;
  scenes: number;
  /** Context views per scene. */
  k: number;
  /** Width and height of the stored frames. */
  sourceSize: number;
  /** Width and height of the output frames. */
  frameSize: number;
  /** The JPEG bytes of all frames, scene-major, `k + 1` per scene. */
  jpegs: Uint8Array;
  /** `scenes * (k + 1) + 1` offsets into `jpegs`. */
  offsets: Uint32Array;
}

/** A frame that could not be decoded. */
export interface DecodeFailure {
  /** Index of the scene in the job. */
  scene: number;
  /** Index of the frame within the scene's `k + 1` (k = the query frame). */
  frame: number;
  reason: string;
}

/** The decoded batch: float32 RGB in [0, 1]. */
export interface DecodeBatchResult {
  id: number;
  /** `[scenes, k, frameSize, frameSize, 3]`. */
  context: Float32Array;
  /** `[scenes, frameSize, frameSize, 3]`. */
  target: Float32Array;
  /** Scenes whose frames failed to decode; their slots hold zeros and must be replaced or dropped. */
  failures: DecodeFailure[];
}

/** Decodes a job's frames (libjpeg-turbo), checks their size and writes them as floats, resized if needed. */
export function decodeBatch(job: DecodeBatchJob): DecodeBatchResult {
  const { scenes, k, sourceSize, frameSize, jpegs, offsets } = job;
  const pixels = frameSize * frameSize * 3;
  const context = new Float32Array(scenes * k * pixels);
  const target = new Float32Array(scenes * pixels);
  const failures: DecodeFailure[] = [];
  for (let s = 0; s < scenes; s++) {
    for (let f = 0; f <= k; f++) {
      const i = s * (k + 1) + f;
      const bytes = jpegs.subarray(offsets[i] as number, offsets[i + 1] as number);
      let reason: string | undefined;
      try {
        const image = decodeJpegRgba(bytes);
        if (image.width !== sourceSize || image.height !== sourceSize) {
          reason = `frame is ${image.width}x${image.height}, but the dataset's frames are ${sourceSize}x${sourceSize}`;
        } else if (f < k) {
          rgbaToFloatRgb(
            image.data,
            sourceSize,
            sourceSize,
            context,
            (s * k + f) * pixels,
            frameSize,
            frameSize,
          );
        } else {
          rgbaToFloatRgb(image.data, sourceSize, sourceSize, target, s * pixels, frameSize, frameSize);
        }
      } catch (error) {
        reason = `frame is not a decodable JPEG (${(error as Error).message})`;
      }
      if (reason !== undefined) {
        failures.push({ scene: s, frame: f, reason });
        break;
      }
    }
  }
  return { id: job.id, context, target, failures };
}
