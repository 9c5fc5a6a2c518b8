import { checkInteger, GqnError } from "@gqn/core";

/** The `format` tag of a scene bundle file. */
export const SCENE_BUNDLE_FORMAT = "gqn-scene-bundle";

/** One scene of a bundle: its frames and the cameras they were taken from. */
export interface BundleScene {
  /** A name to show, e.g. `test/003-of-010.tfrecord#2`. */
  readonly id: string;
  /** One image per view, as a `data:` URL (the record's JPEG bytes, or a PNG) or a relative URL. */
  readonly frames: readonly string[];
  /** `views * 5` numbers, view-major `[x, y, z, yaw, pitch]` (radians), as a record stores them. */
  readonly cameras: readonly number[];
}

/**
 * A small set of scenes for the viewer: context views and cameras exported from a dataset's test
 * split by `scripts/export-scenes.mjs` (committed at `public/scenes/`).
 */
export interface SceneBundle {
  readonly format: typeof SCENE_BUNDLE_FORMAT;
  readonly version: 1;
  /** The dataset the scenes come from, e.g. `shepard_metzler_5_parts`. */
  readonly dataset: string;
  /** Which split; the viewer shows test scenes, never seen in training. */
  readonly split: "train" | "test";
  /** Width and height of every frame, pixels. */
  readonly frameSize: number;
  /** How the bundle was made (the command line), for provenance. */
  readonly source?: string;
  readonly scenes: readonly BundleScene[];
}

function fail(message: string): never {
  throw new GqnError("INVALID_ARGUMENT", `parseSceneBundle: ${message}`);
}

/**
 * Checks that `json` is a {@link SceneBundle} (format, version, one camera per frame, finite
 * numbers) and returns it typed. Throws an INVALID_ARGUMENT GqnError naming the first problem.
 */
export function parseSceneBundle(json: unknown): SceneBundle {
  if (typeof json !== "object" || json === null)
    fail(`the bundle must be a JSON object, but got ${typeof json}.`);
  const bundle = json as Record<string, unknown>;
  if (bundle.format !== SCENE_BUNDLE_FORMAT) {
    fail(`format must be "${SCENE_BUNDLE_FORMAT}", but got ${JSON.stringify(bundle.format)}.`);
  }
  if (bundle.version !== 1) fail(`version must be 1, but got ${JSON.stringify(bundle.version)}.`);
  if (typeof bundle.dataset !== "string") fail("dataset must be a string.");
  if (bundle.split !== "train" && bundle.split !== "test")
    fail(`split must be "train" or "test", but got ${JSON.stringify(bundle.split)}.`);
  checkInteger(bundle.frameSize, "parseSceneBundle", "frameSize");
  if (!Array.isArray(bundle.scenes) || bundle.scenes.length === 0) fail("scenes must be a non-empty array.");
  bundle.scenes.forEach((scene: unknown, i: number) => {
    const s = scene as Partial<Record<keyof BundleScene, unknown>>;
    if (typeof s !== "object" || s === null) fail(`scenes[${i}] must be an object.`);
    if (typeof s.id !== "string") fail(`scenes[${i}].id must be a string.`);
    if (!Array.isArray(s.frames) || s.frames.length === 0 || !s.frames.every((f) => typeof f === "string")) {
      fail(`scenes[${i}].frames must be a non-empty array of image URLs.`);
    }
    checkCameras(s.cameras, s.frames.length, `scenes[${i}].cameras`, fail);
  });
  return json as SceneBundle;
}

function checkCameras(
  cameras: unknown,
  views: number,
  what: string,
  raise: (message: string) => never,
): asserts cameras is number[] {
  if (!Array.isArray(cameras) || cameras.length !== views * 5) {
    raise(
      `${what} must hold ${views} x 5 = ${views * 5} numbers [x, y, z, yaw, pitch], but got ${Array.isArray(cameras) ? cameras.length : typeof cameras}.`,
    );
  }
  if (!cameras.every((c) => typeof c === "number" && Number.isFinite(c)))
    raise(`${what} must hold finite numbers.`);
}

/**
 * Pairs images a user dropped with the cameras in a JSON file dropped beside them. The JSON is
 * either `{ "<image file name>": [x, y, z, yaw, pitch], ... }`, or a list of cameras
 * (`[[x, y, z, yaw, pitch], ...]`, or `{ "cameras": [...] }`) in the images' name order.
 * Returns the image names in view order and their `views * 5` cameras.
 */
export function pairDroppedImages(
  imageNames: readonly string[],
  camerasJson: unknown,
): { names: string[]; cameras: number[] } {
  const raise = (message: string): never => {
    throw new GqnError("INVALID_ARGUMENT", `pairDroppedImages: ${message}`);
  };
  if (imageNames.length === 0) raise("drop at least one image with its cameras JSON.");
  const sorted = [...imageNames].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const list = Array.isArray(camerasJson)
    ? camerasJson
    : Array.isArray((camerasJson as { cameras?: unknown })?.cameras)
      ? (camerasJson as { cameras: unknown[] }).cameras
      : undefined;
  let rows: unknown[];
  if (list) {
    if (list.length !== sorted.length) {
      raise(`the JSON lists ${list.length} cameras for ${sorted.length} images; give one camera per image.`);
    }
    rows = list;
  } else if (typeof camerasJson === "object" && camerasJson !== null) {
    const byName = camerasJson as Record<string, unknown>;
    const missing = sorted.filter((name) => !(name in byName));
    if (missing.length > 0) raise(`the cameras JSON has no camera for ${missing.join(", ")}.`);
    rows = sorted.map((name) => byName[name]);
  } else {
    return raise("the cameras JSON must be an object keyed by image name or a list of cameras.");
  }
  const cameras = rows.flatMap((row) => (Array.isArray(row) ? row : [Number.NaN]));
  checkCameras(cameras, sorted.length, "the cameras", raise);
  return { names: sorted, cameras };
}
