import { GqnError } from "@gqn/core";

/** The facts of one DeepMind gqn-datasets set (docs/data-format.md). */
export interface DatasetSpec {
  readonly name: string;
  readonly trainFiles: number;
  readonly testFiles: number;
  /** Frame width and height in pixels. */
  readonly frameSize: number;
  /** Views (frames and cameras) per scene record. */
  readonly views: number;
}

/** The seven published datasets. */
export const DATASETS: Readonly<Record<string, DatasetSpec>> = Object.freeze({
  jaco: { name: "jaco", trainFiles: 3600, testFiles: 400, frameSize: 64, views: 11 },
  mazes: { name: "mazes", trainFiles: 1080, testFiles: 120, frameSize: 84, views: 300 },
  rooms_free_camera_with_object_rotations: {
    name: "rooms_free_camera_with_object_rotations",
    trainFiles: 2034,
    testFiles: 226,
    frameSize: 128,
    views: 10,
  },
  rooms_ring_camera: {
    name: "rooms_ring_camera",
    trainFiles: 2160,
    testFiles: 240,
    frameSize: 64,
    views: 10,
  },
  rooms_free_camera_no_object_rotations: {
    name: "rooms_free_camera_no_object_rotations",
    trainFiles: 2160,
    testFiles: 240,
    frameSize: 64,
    views: 10,
  },
  shepard_metzler_5_parts: {
    name: "shepard_metzler_5_parts",
    trainFiles: 900,
    testFiles: 100,
    frameSize: 64,
    views: 15,
  },
  shepard_metzler_7_parts: {
    name: "shepard_metzler_7_parts",
    trainFiles: 900,
    testFiles: 100,
    frameSize: 64,
    views: 15,
  },
});

/** The spec of a dataset by name, or an INVALID_ARGUMENT error listing the known names. */
export function getDatasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `getDatasetSpec: unknown dataset "${name}"; known datasets: ${Object.keys(DATASETS).join(", ")}.`,
    );
  }
  return spec;
}

/** A dataset split. */
export type Split = "train" | "test";

/**
 * What a dataset directory holds: a published spec, or the `dataset.json` beside the data (written by
 * `@gqn/scenes` or by hand), which may add fields of its own.
 */
export interface DatasetInfo extends DatasetSpec {
  /** True for data made by a renderer rather than downloaded. */
  readonly synthetic?: true;
  /**
   * The cameras' field of view in degrees (square frames: vertical = horizontal). gqn-synth writes
   * its renderer's; the published sets do not record one (see {@link datasetFovDegrees}).
   */
  readonly fovDegrees?: number;
  /**
   * `[near, far]`: distances along a camera ray, world units, between which every surface the
   * cameras see lies. gqn-synth writes its scene config's; see {@link datasetDepthRange}.
   */
  readonly depthRange?: readonly [number, number];
  readonly [extra: string]: unknown;
}

/**
 * The file name of shard `index` (1-based) of `total`: `<i>-of-<n>.tfrecord`, both zero-padded to the digits
 * of `total` (`0001-of-2160.tfrecord`), as the published datasets are named.
 */
export function shardFileName(index: number, total: number): string {
  const digits = String(total).length;
  return `${String(index).padStart(digits, "0")}-of-${String(total).padStart(digits, "0")}.tfrecord`;
}

/** The relative paths `<name>/<split>/<i>-of-<n>.tfrecord` of every file of a split, in order. */
export function datasetFileNames(
  info: Pick<DatasetSpec, "name" | "trainFiles" | "testFiles">,
  split: Split,
): string[] {
  const total = split === "train" ? info.trainFiles : info.testFiles;
  return Array.from({ length: total }, (_, i) => `${info.name}/${split}/${shardFileName(i + 1, total)}`);
}

/**
 * The field of view assumed for the published datasets, which record none (DeepMind's data
 * description and reader give no intrinsics; gqn-datasets issue #15 asking for them is unanswered).
 * 50 degrees is what the E-GQN reader (josh-tobin/egqn-datasets `data_reader.py`, Tobin et al. 2019)
 * passes for the four sets it reads (rooms_ring_camera, rooms_free_camera_with_object_rotations,
 * jaco, shepard_metzler_7_parts); their siblings are assumed to share their renderer's. Medium
 * certainty: E-GQN's epipolar model trained well with it, but it is not DeepMind's word, and
 * MuJoCo (the paper's renderer) defaults to a 45-degree fovy. mazes (DeepMind Lab) has no source
 * at all: 50 is a placeholder. Check a download with `gqn-data epipolar`; override with `--fov`.
 */
export const PUBLISHED_FOV_DEGREES: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(Object.keys(DATASETS).map((name) => [name, 50])),
);

/**
 * A dataset's field of view in degrees: `override` when given, else its `dataset.json`'s
 * `fovDegrees`, else the published sets' assumed {@link PUBLISHED_FOV_DEGREES}. Throws
 * INVALID_CONFIG naming the dataset when none is known or the value is not in (0, 180).
 */
export function datasetFovDegrees(
  info: Pick<DatasetInfo, "name" | "fovDegrees" | "synthetic">,
  override?: number,
): number {
  // Rendered data named like a published set has its renderer's optics, not the published guess.
  const published = info.synthetic ? undefined : PUBLISHED_FOV_DEGREES[info.name];
  const fov = override ?? info.fovDegrees ?? published;
  if (fov === undefined) {
    throw new GqnError(
      "INVALID_CONFIG",
      `datasetFovDegrees: dataset "${info.name}" declares no fovDegrees in its dataset.json (gqn-synth writes it since this version: render it again); add it, or pass --fov <degrees>.`,
    );
  }
  if (!(typeof fov === "number" && fov > 0 && fov < 180)) {
    throw new GqnError(
      "INVALID_CONFIG",
      `datasetFovDegrees: the field of view of "${info.name}" must be in (0, 180) degrees, but got ${JSON.stringify(fov)}.`,
    );
  }
  return fov;
}

/**
 * The depth range assumed for the published datasets, which record none: guesses from their
 * descriptions (gqn-datasets README), not measurements. The rooms are "a square room of size 7x7
 * units", like `@gqn/scenes`' rooms (walls at +-3.5; wall height unknown, ours 2.5 assumed):
 * rooms_ring_camera as ours (cameras on a ring of radius 3, `roomsDepthRange`); a free camera
 * anywhere in the room sees at most the room's diagonal, `hypot(7, 7, 2.5)` = 10.2. jaco puts the arm
 * in the same rooms: assumed like a free camera. Shepard-Metzler as ours (cameras at distance 2,
 * cubes of 0.25, `shepardMetzlerDepthRange`). mazes is a best guess with no source: positions in
 * units of the 7x7 maze grid's cells (if they are in DeepMind Lab's own units, the range scales with
 * them). The rooms' near is a floor, not a bound (a camera may pass close to an object). Check with
 * `gqn-data epipolar`; override with `--depth-range`.
 */
export const PUBLISHED_DEPTH_RANGES: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  jaco: [0.1, 10.3],
  mazes: [0.1, 10.3],
  rooms_free_camera_with_object_rotations: [0.1, 10.3],
  rooms_ring_camera: [0.1, 8.091],
  rooms_free_camera_no_object_rotations: [0.1, 10.3],
  shepard_metzler_5_parts: [1.283, 2.717],
  shepard_metzler_7_parts: [1.033, 2.967],
});

/**
 * A dataset's depth range `[near, far]` (world units along a camera ray): `override` when given,
 * else its `dataset.json`'s `depthRange`, else the published sets' assumed
 * {@link PUBLISHED_DEPTH_RANGES}. Throws INVALID_CONFIG naming the dataset when none is known, or
 * when it is not two finite numbers with `0 < near < far`.
 */
export function datasetDepthRange(
  info: Pick<DatasetInfo, "name" | "depthRange" | "synthetic">,
  override?: readonly [number, number],
): readonly [number, number] {
  const published = info.synthetic ? undefined : PUBLISHED_DEPTH_RANGES[info.name];
  const range: unknown = override ?? info.depthRange ?? published;
  if (range === undefined) {
    throw new GqnError(
      "INVALID_CONFIG",
      `datasetDepthRange: dataset "${info.name}" declares no depthRange in its dataset.json; add "depthRange": [near, far] (world units along a camera ray), or pass --depth-range.`,
    );
  }
  const [near, far] = Array.isArray(range) && range.length === 2 ? (range as unknown[]) : [];
  if (
    !(typeof near === "number" && typeof far === "number" && Number.isFinite(far) && near > 0 && far > near)
  ) {
    throw new GqnError(
      "INVALID_CONFIG",
      `datasetDepthRange: the depthRange of "${info.name}" must be [near, far] with 0 < near < far, both finite, but got ${JSON.stringify(range)}; fix it or pass --depth-range.`,
    );
  }
  return [near, far];
}
