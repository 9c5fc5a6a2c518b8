// Messages between createDataParallel (main thread) and replica-worker (one per extra replica).
// Tensors travel as plain typed-array buffers; weights and gradients through SharedArrayBuffers.
import type { BackendRequest } from "../backend-selection.js";

/** `workerData` of a replica worker. */
export interface ReplicaWorkerData {
  /** file: URL of the replica module. */
  readonly moduleUrl: string;
  /** Its JSON config. */
  readonly config: unknown;
  readonly backend: Exclude<BackendRequest, "auto">;
  /** onnxruntime threads when the worker should enable the conv accelerator. */
  readonly onnxThreads?: number;
  /** Most examples per forward + backward pass (larger shards are chunked); undefined: no limit. */
  readonly microBatchSize?: number;
  /** This worker's gradient slot (its shard index). */
  readonly slot: number;
  /** Float32 weights, all variables concatenated; written by the main thread before each step. */
  readonly weights: SharedArrayBuffer;
  /** Float32 gradients, one slot of `weights`' length per replica. */
  readonly grads: SharedArrayBuffer;
}

/** An input shard. */
export interface WireTensor {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: "float32" | "int32" | "bool";
  readonly data: ArrayBuffer;
}

export type ToWorker =
  | { readonly type: "step"; readonly id: number; readonly inputs: WireTensor[]; readonly context: object }
  | { readonly type: "close" };

export type FromWorker =
  | { readonly type: "ready"; readonly shapes: number[][]; readonly dtypes: string[] }
  | {
      readonly type: "done";
      readonly id: number;
      readonly loss: number;
      readonly metrics: Record<string, number>;
    }
  | { readonly type: "error"; readonly id?: number; readonly message: string };
