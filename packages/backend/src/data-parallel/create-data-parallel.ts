import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { checkInteger, GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import type { BackendRequest } from "../backend-selection.js";
import { builtModule } from "./built-module.js";
import type { FromWorker, ReplicaWorkerData, ToWorker, WireTensor } from "./protocol.js";
import type { Replica, ReplicaLoss } from "./replica.js";
import {
  loadReplica,
  type ShardResult,
  shardGradients,
  type VariableSlot,
  variableLayout,
} from "./replica-runtime.js";

/** Options of {@link createDataParallel}. */
export interface DataParallelOptions<M extends string = string> {
  /**
   * Replicas, the main thread's included: `workers - 1` worker threads are started. Default 1
   * (no threads: plain training). See docs/performance.md for when more help.
   */
  workers?: number;
  /**
   * The replica module: an absolute path or `file:` URL of a JavaScript module exporting
   * `buildReplica(config)` (see {@link BuildReplica}); relative paths resolve from the working
   * directory. Every worker imports it; so does the main thread unless `replica` is given.
   */
  replicaModule: string | URL;
  /** The JSON config `buildReplica` gets (structured-cloned to the workers). */
  replicaConfig?: unknown;
  /**
   * The main thread's replica (e.g. the model the caller trains, evaluates and checkpoints);
   * default: built from `replicaModule`. Its weights are the ones copied to the workers.
   */
  replica?: Replica<M>;
  /** Workers' tfjs backend; default: the main thread's current one when it is wasm or cpu, else wasm. */
  backend?: Exclude<BackendRequest, "auto">;
  /**
   * Enable the onnxruntime-node convolution accelerator in the workers with this many threads
   * each (1 per worker is right when the workers fill the cores). Default: off. The main
   * thread keeps whatever the caller set up.
   */
  onnxThreads?: number;
  /**
   * Most examples one replica runs through forward + backward at once; a larger shard is split
   * into chunks whose gradients are averaged (weighted by size). Bounds memory at a small cost
   * in speed: the wasm heap cannot grow past 4 GB, and a GQN step's activations grow with the
   * batch (tf-gqn: ~100 MB per example). Default: no limit.
   */
  microBatchSize?: number;
  /** The worker script; default: `replica-worker.js` of this package's build. */
  workerUrl?: string | URL;
}

/** Result of {@link DataParallel.computeGradients}. */
export interface DataParallelGradients<M extends string = string> {
  /** The batch-mean loss (shard losses weighted by shard size). */
  readonly loss: number;
  /** The replica's metrics (see {@link ReplicaLoss}), averaged over the shards like the loss; `{}` when it returns none. */
  readonly metrics: Readonly<Record<M, number>>;
  /** Gradients of the batch-mean loss, by variable name (what `optimizer.applyGradients` takes); owned by the caller. */
  readonly grads: tf.NamedTensorMap;
}

/** A group of replicas training one model on shards of each batch. */
export interface DataParallel<M extends string = string> {
  /** Replicas, the main thread's included. */
  readonly workers: number;
  /** The main thread's replica. */
  readonly replica: Replica<M>;
  /**
   * Splits every input along axis 0 into `workers` shards (sizes differing by at most one),
   * copies the main replica's weights to the workers, computes each shard's gradient (shard 0 on
   * this thread, the others on the workers, at the same time) and averages them, weighted by
   * shard size, through shared memory. Inputs are borrowed. `context` (JSON) reaches every
   * replica's `loss` with the shard's position added.
   */
  computeGradients(
    inputs: Readonly<Record<string, tf.Tensor>>,
    context?: Record<string, unknown>,
  ): Promise<DataParallelGradients<M>>;
  /** {@link computeGradients}, then one `optimizer.applyGradients` on the main replica; returns the loss. */
  trainStep(
    inputs: Readonly<Record<string, tf.Tensor>>,
    optimizer: tf.Optimizer,
    context?: Record<string, unknown>,
  ): Promise<number>;
  /** Stops the workers (and disposes the main replica when it was built here). */
  dispose(): Promise<void>;
}

interface WorkerHandle {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (result: ShardResult) => void; reject: (error: Error) => void }>;
}

/**
 * Data-parallel training on worker threads: `workers` replicas of one model (the main thread's
 * and `workers - 1` built by each worker from `replicaModule` + `replicaConfig`), each computing
 * the gradient of its shard of the batch; the gradients are averaged through a SharedArrayBuffer
 * and ONE optimizer step is taken on the main replica, whose weights every worker copies in
 * before the next step, so the replicas stay identical. The result equals single-replica
 * training on the whole batch up to float summation order.
 *
 * Node only. Each worker runs its own tfjs engine (one wasm thread each): `workers` should not
 * exceed the cores, and helps only where a step is long enough to hide the copies (see
 * docs/performance.md for measurements).
 */
export async function createDataParallel<M extends string = string>(
  options: DataParallelOptions<M>,
): Promise<DataParallel<M>> {
  const count = checkInteger(options.workers ?? 1, "createDataParallel", "workers");
  const microBatchSize = options.microBatchSize;
  if (microBatchSize !== undefined) checkInteger(microBatchSize, "createDataParallel", "microBatchSize");
  const moduleUrl = toModuleUrl(options.replicaModule);
  const ownReplica = !options.replica;
  const replica = options.replica ?? (await loadReplica(moduleUrl, options.replicaConfig));
  const layout = variableLayout(replica.variables);
  const total = layout.reduce((n, slot) => n + slot.size, 0);
  const weights = new Float32Array(new SharedArrayBuffer(count > 1 ? total * 4 : 0));
  const gradsBuffer = new SharedArrayBuffer(count > 1 ? count * total * 4 : 0);
  const slots = Array.from({ length: count }, (_, k) =>
    count > 1 ? new Float32Array(gradsBuffer, k * total * 4, total) : new Float32Array(0),
  );
  const backend = options.backend ?? defaultBackend();
  const handles: WorkerHandle[] = [];
  let failure: Error | undefined;
  let disposed = false;

  const fail = (handle: WorkerHandle, error: Error) => {
    failure ??= error;
    for (const { reject } of handle.pending.values()) reject(error);
    handle.pending.clear();
  };

  const startWorker = (slot: number): Promise<WorkerHandle> =>
    new Promise((resolveReady, rejectReady) => {
      const data: ReplicaWorkerData = {
        moduleUrl,
        config: options.replicaConfig,
        backend,
        slot,
        weights: weights.buffer as SharedArrayBuffer,
        grads: gradsBuffer,
        ...(options.onnxThreads !== undefined ? { onnxThreads: options.onnxThreads } : {}),
        ...(microBatchSize !== undefined ? { microBatchSize } : {}),
      };
      // Node flags as process.execArgv holds them now (Node's default is a copy taken at startup).
      const worker = new Worker(workerScript(options.workerUrl), {
        workerData: data,
        execArgv: process.execArgv,
      });
      const handle: WorkerHandle = { worker, pending: new Map() };
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          ready = true;
          const mismatch = replica.variables.findIndex(
            (v, i) => JSON.stringify(v.shape) !== JSON.stringify(message.shapes[i]),
          );
          if (mismatch >= 0 || message.shapes.length !== replica.variables.length) {
            rejectReady(
              new GqnError(
                "INVALID_ARGUMENT",
                `createDataParallel: worker ${slot}'s replica must have the main replica's variables, but variable ${mismatch >= 0 ? mismatch : replica.variables.length} differs (${message.shapes.length} variables there, ${replica.variables.length} here).`,
              ),
            );
          } else {
            resolveReady(handle);
          }
        } else if (message.type === "done") {
          handle.pending.get(message.id)?.resolve({ loss: message.loss, metrics: message.metrics });
          handle.pending.delete(message.id);
        } else {
          const error = new GqnError(
            "BACKEND_UNAVAILABLE",
            `createDataParallel: worker ${slot} failed: ${message.message}`,
          );
          if (!ready) rejectReady(error);
          else if (message.id !== undefined) {
            handle.pending.get(message.id)?.reject(error);
            handle.pending.delete(message.id);
          } else fail(handle, error);
        }
      });
      worker.on("error", (error) => {
        const wrapped = new GqnError(
          "BACKEND_UNAVAILABLE",
          `createDataParallel: worker ${slot} failed: ${error.message}`,
        );
        if (!ready) rejectReady(wrapped);
        fail(handle, wrapped);
      });
      worker.on("exit", (code) => {
        if (disposed) return;
        const error = new GqnError(
          "BACKEND_UNAVAILABLE",
          `createDataParallel: worker ${slot} exited with code ${code}.`,
        );
        if (!ready) rejectReady(error);
        fail(handle, error);
      });
    });

  const stopWorkers = async () => {
    disposed = true;
    await Promise.all(
      handles.map(async ({ worker }) => {
        worker.postMessage({ type: "close" } satisfies ToWorker);
        await worker.terminate();
      }),
    );
  };

  const started = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => startWorker(i + 1)));
  for (const result of started) if (result.status === "fulfilled") handles.push(result.value);
  const startError = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (startError) {
    await stopWorkers();
    if (ownReplica) disposeReplica(replica);
    throw startError.reason;
  }

  let nextId = 0;
  let busy = false;
  const computeGradients = async (
    inputs: Readonly<Record<string, tf.Tensor>>,
    context: Record<string, unknown> = {},
  ): Promise<DataParallelGradients> => {
    if (disposed)
      throw new GqnError("INVALID_ARGUMENT", "DataParallel.computeGradients: the group has been disposed.");
    if (failure) throw failure;
    if (busy) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        "DataParallel.computeGradients: one step at a time (the workers share one weight buffer), but a step is still running; await it first.",
      );
    }
    busy = true;
    try {
      return await runStep(inputs, context);
    } finally {
      busy = false;
    }
  };

  const runStep = async (
    inputs: Readonly<Record<string, tf.Tensor>>,
    context: Record<string, unknown>,
  ): Promise<DataParallelGradients> => {
    const names = Object.keys(inputs);
    const batch = checkBatch(inputs, names);
    const sizes = shardSizes(batch, count);
    const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
    const shardContext = (k: number) => ({
      ...context,
      shard: k,
      shards: sizes.length,
      offset: offsets[k] as number,
      batchSize: batch,
    });
    if (sizes.length === 1) {
      const out = new Float32Array(total);
      const { loss, metrics } = shardGradients(
        replica,
        inputs as Record<string, tf.Tensor>,
        shardContext(0),
        layout,
        out,
        microBatchSize,
      );
      return { loss, metrics, grads: toGradTensors(replica, layout, out) };
    }

    // Weights out, then the workers' shards; the main thread computes shard 0 meanwhile.
    replica.variables.forEach((v, i) => {
      weights.set(v.dataSync() as Float32Array, (layout[i] as VariableSlot).offset);
    });
    const values = names.map((name) => (inputs[name] as tf.Tensor).dataSync());
    const id = nextId++;
    const replies = sizes.slice(1).map((size, j) => {
      const k = j + 1;
      const handle = handles[j] as WorkerHandle;
      const wire: WireTensor[] = names.map((name, i) => {
        const t = inputs[name] as tf.Tensor;
        const row = t.size / batch;
        const part = (values[i] as tf.TypedArray).slice(
          (offsets[k] as number) * row,
          ((offsets[k] as number) + size) * row,
        );
        return {
          name,
          shape: [size, ...t.shape.slice(1)],
          dtype: t.dtype as WireTensor["dtype"],
          data: part.buffer as ArrayBuffer,
        };
      });
      return new Promise<ShardResult>((resolveLoss, reject) => {
        handle.pending.set(id, { resolve: resolveLoss, reject });
        handle.worker.postMessage(
          { type: "step", id, inputs: wire, context: shardContext(k) } satisfies ToWorker,
          wire.map((t) => t.data),
        );
      });
    });
    let mainResult: ShardResult;
    const mainInputs = tf.tidy(() =>
      Object.fromEntries(
        names.map((name) => {
          const t = inputs[name] as tf.Tensor;
          return [name, tf.slice(t, 0, sizes[0])];
        }),
      ),
    );
    try {
      mainResult = shardGradients(
        replica,
        mainInputs,
        shardContext(0),
        layout,
        slots[0] as Float32Array,
        microBatchSize,
      );
    } catch (error) {
      // The workers' replies still come; their failures, if any, are not news.
      for (const reply of replies) reply.catch(() => {});
      throw error;
    } finally {
      tf.dispose(Object.values(mainInputs));
    }
    const results = [mainResult, ...(await Promise.all(replies))];

    // Size-weighted average, in shard order (deterministic for a given worker count).
    const averaged = new Float32Array(total);
    sizes.forEach((size, k) => {
      const weight = size / batch;
      const slot = slots[k] as Float32Array;
      for (let p = 0; p < total; p++) averaged[p] = (averaged[p] as number) + weight * (slot[p] as number);
    });
    let loss = 0;
    const metrics: Record<string, number> = {};
    results.forEach((result, k) => {
      const weight = (sizes[k] as number) / batch;
      loss += weight * result.loss;
      for (const [name, value] of Object.entries(result.metrics))
        metrics[name] = (metrics[name] ?? 0) + weight * value;
    });
    return { loss, metrics, grads: toGradTensors(replica, layout, averaged) };
  };

  return {
    workers: count,
    replica,
    computeGradients,
    async trainStep(inputs, optimizer, context) {
      const { loss, grads } = await computeGradients(inputs, context);
      try {
        optimizer.applyGradients(grads);
      } finally {
        tf.dispose(Object.values(grads));
      }
      return loss;
    },
    async dispose() {
      if (disposed) return;
      await stopWorkers();
      if (ownReplica) disposeReplica(replica);
    },
  };
}

function disposeReplica(replica: Replica): void {
  if (replica.dispose) replica.dispose();
  else tf.dispose(replica.variables as tf.Variable[]);
}

function toGradTensors(
  replica: Replica,
  layout: readonly VariableSlot[],
  flat: Float32Array,
): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  replica.variables.forEach((v, i) => {
    const { offset, size } = layout[i] as VariableSlot;
    grads[v.name] = tf.tensor(flat.slice(offset, offset + size), v.shape, "float32");
  });
  return grads;
}

/** Examples per shard: `batch` split as evenly as possible over at most `count` shards. */
export function shardSizes(batch: number, count: number): number[] {
  const shards = Math.min(batch, count);
  const base = Math.floor(batch / shards);
  return Array.from({ length: shards }, (_, k) => base + (k < batch % shards ? 1 : 0));
}

function checkBatch(inputs: Readonly<Record<string, tf.Tensor>>, names: string[]): number {
  const first = names[0];
  if (first === undefined) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      "DataParallel.computeGradients: inputs must hold at least one tensor, but got none.",
    );
  }
  const batch = (inputs[first] as tf.Tensor).shape[0] ?? 0;
  for (const name of names) {
    const t = inputs[name] as tf.Tensor;
    if (t.rank < 1 || t.shape[0] !== batch || batch < 1) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `DataParallel.computeGradients: every input must have the batch size ${batch} (>= 1) as its first axis, but ${name} has shape [${t.shape.join(", ")}].`,
      );
    }
    if (t.dtype !== "float32" && t.dtype !== "int32" && t.dtype !== "bool") {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `DataParallel.computeGradients: inputs must be float32, int32 or bool, but ${name} is ${t.dtype}.`,
      );
    }
  }
  return batch;
}

function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith("file:")) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

function defaultBackend(): Exclude<BackendRequest, "auto"> {
  const current = tf.getBackend();
  return current === "cpu" || current === "tensorflow" ? current : "wasm";
}

/** The worker script: `workerUrl`, else the built one (see {@link builtModule}). */
function workerScript(explicit: string | URL | undefined): URL {
  if (explicit) return explicit instanceof URL ? explicit : pathToFileURL(resolve(explicit));
  return builtModule(
    "replica-worker.js",
    import.meta.url,
    "createDataParallel",
    "build @gqn/backend (pnpm build) or pass workerUrl",
  );
}
