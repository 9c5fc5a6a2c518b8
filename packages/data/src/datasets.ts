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
