// The batches' types, shared by the file source (create-scene-batches.ts) and the in-memory one
// (in-memory-scene-batches.ts) without either importing the other's module for them.
import type * as tfc from "@tensorflow/tfjs-core";
import type { DatasetInfo } from "./datasets.js";
import type { SceneSourceState } from "./scene-source.js";
import type { SkippedRecord } from "./tfrecord-parser.js";

/** The number of context views: fixed, or drawn uniformly per batch from `min..max` (both included). */
export type ContextSize = number | { min: number; max: number };

/** The data order of a batch stream, JSON-only: store it in a checkpoint and pass it back as `options.state`. */
export interface SceneBatchState extends SceneSourceState {
  version: 1;
  /** Batches yielded so far. */
  batches: number;
}

/** One batch of scenes as tensors, owned by the caller: call `dispose()` when done. */
export interface SceneBatch {
  /** `[B, K, H, W, 3]`, float32 in [0, 1]. */
  contextFrames: tfc.Tensor5D;
  /** `[B, K, 7]`: `[x, y, z, sin yaw, cos yaw, sin pitch, cos pitch]` per context view. */
  contextPoses: tfc.Tensor3D;
  /** `[B, 7]`: the pose of the query view. */
  queryPose: tfc.Tensor2D;
  /** `[B, H, W, 3]`, float32 in [0, 1]: the frame of the query view. */
  target: tfc.Tensor4D;
  /** Where each scene came from and which of its views were used (context views, then the query view). */
  scenes: { file: string; record: number; views: number[] }[];
  /** Disposes the four tensors. */
  dispose(): void;
}

/** The batches of {@link createSceneBatches}: an async iterator that also reports its position and skips. */
export interface SceneBatchIterator extends AsyncIterableIterator<SceneBatch> {
  /** The position after the last batch yielded, to resume from with `options.state`. */
  getState(): SceneBatchState;
  /** Records and scenes skipped so far (skip mode), each once, though every epoch meets it again. */
  readonly skipped: readonly SkippedRecord[];
  /**
   * The distinct records the stream has read so far (the shuffle buffer and the batches decoded
   * ahead included), and how many of them were bad: the share of bad records, however few
   * batches have been consumed yet and however many epochs have passed.
   */
  readCounts(): { records: number; bad: number };
  /** The dataset's facts (published spec or `dataset.json`); reads them on first use. */
  info(): Promise<DatasetInfo>;
  /** Stops reading and decoding and ends the worker threads. Idempotent. */
  close(): Promise<void>;
}
