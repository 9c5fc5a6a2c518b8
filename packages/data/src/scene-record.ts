import { CorruptRecordError } from "./errors.js";
import { decodeExample, encodeExample } from "./example.js";

/** One GQN scene as stored: `views` JPEG frames and `views * 5` camera floats. */
export interface SceneRecord {
  /** JPEG-encoded RGB frames, one per view. */
  frames: Uint8Array[];
  /** Frame-major `[x, y, z, yaw, pitch]` per view (radians), length `views * 5`. */
  cameras: Float32Array;
}

/** Checks on {@link decodeSceneRecord}. */
export interface DecodeSceneRecordOptions {
  /** The number of views every record of the dataset must have. */
  views?: number;
}

/** Serialises a scene as the tf.train.Example the GQN datasets use (features `frames` and `cameras`). */
export function encodeSceneRecord(scene: SceneRecord): Uint8Array {
  if (scene.cameras.length !== scene.frames.length * 5) {
    throw new CorruptRecordError(
      "encodeSceneRecord",
      `cameras must have ${scene.frames.length * 5} values (5 per frame), but got ${scene.cameras.length}`,
    );
  }
  return encodeExample({
    frames: { kind: "bytes", value: scene.frames },
    cameras: { kind: "float", value: scene.cameras },
  });
}

/**
 * Parses a GQN scene record. Throws a {@link CorruptRecordError} when `frames` or `cameras` is missing or of
 * the wrong kind, when cameras are not 5 per frame or not finite (a NaN camera would otherwise surface
 * steps later as a NaN loss naming no record), or when `options.views` is given and differs. Frames are
 * views into `bytes` (no copy).
 */
export function decodeSceneRecord(bytes: Uint8Array, options: DecodeSceneRecordOptions = {}): SceneRecord {
  const where = "decodeSceneRecord";
  const features = decodeExample(bytes);
  const frames = features.frames;
  const cameras = features.cameras;
  const names = Object.keys(features).join(", ") || "none";
  if (!frames) throw new CorruptRecordError(where, `Example has no "frames" feature (features: ${names})`);
  if (!cameras) throw new CorruptRecordError(where, `Example has no "cameras" feature (features: ${names})`);
  if (frames.kind !== "bytes")
    throw new CorruptRecordError(where, `"frames" must be a bytes list, but is ${frames.kind}`);
  if (cameras.kind !== "float") {
    throw new CorruptRecordError(where, `"cameras" must be a float list, but is ${cameras.kind}`);
  }
  if (options.views !== undefined && frames.value.length !== options.views) {
    throw new CorruptRecordError(where, `expected ${options.views} frames, but got ${frames.value.length}`);
  }
  if (cameras.value.length !== frames.value.length * 5) {
    throw new CorruptRecordError(
      where,
      `expected ${frames.value.length * 5} camera values (5 per frame, ${frames.value.length} frames), but got ${cameras.value.length}`,
    );
  }
  const bad = cameras.value.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const view = Math.floor(bad / 5);
    throw new CorruptRecordError(
      where,
      `the camera of view ${view} holds a non-finite value (${cameras.value[bad]} as ${CAMERA_FIELDS[bad % 5]})`,
    );
  }
  return { frames: frames.value, cameras: cameras.value };
}

const CAMERA_FIELDS = ["x", "y", "z", "yaw", "pitch"] as const;
