import type * as tf from "@tensorflow/tfjs-core";

/** tfjs-backend-wasm internals for reading and writing tensor memory in place. */
export interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  /** The backend's tensor storage: whether a dataId is still alive. */
  readonly dataIdMap: { has(dataId: object): boolean };
}

/** The backend as a {@link HeapBackend}, or undefined when it is not one (not wasm). */
export function heapBackend(backend: tf.KernelBackend): HeapBackend | undefined {
  const candidate = backend as Partial<HeapBackend>;
  return typeof candidate.typedArrayFromHeap === "function" &&
    typeof candidate.makeOutput === "function" &&
    typeof candidate.dataIdMap?.has === "function"
    ? (backend as HeapBackend)
    : undefined;
}

/**
 * Backend tensors derived from another tensor (a reordered filter), kept while that tensor lives:
 * a training step runs the same weights through the input gradient once per use (eight DRAW
 * steps: eight times), and a fresh derived filter each time also makes XNNPACK re-pack its
 * weights (~40 ms on a [5,5,263,256] filter, as long as the convolution). Entries whose source
 * has been disposed are freed at the next lookup, so nothing outlives a step by more than that.
 */
class DerivedTensorCache {
  private readonly entries = new Map<object, Map<string, tf.TensorInfo>>();

  constructor(private readonly backend: HeapBackend) {}

  /** The tensor derived from `source` under `tag`, built by `build` (which must return a backend tensor nobody else frees) on a miss. */
  get(source: object, tag: string, build: () => tf.TensorInfo): tf.TensorInfo {
    this.sweep();
    let byTag = this.entries.get(source);
    const hit = byTag?.get(tag);
    if (hit) return hit;
    const made = build();
    if (!byTag) {
      byTag = new Map();
      this.entries.set(source, byTag);
    }
    byTag.set(tag, made);
    return made;
  }

  /** Number of derived tensors held. */
  get size(): number {
    let n = 0;
    for (const byTag of this.entries.values()) n += byTag.size;
    return n;
  }

  /** Frees the entries of sources the backend no longer holds (or all, with `all`). */
  sweep(all = false): void {
    for (const [source, byTag] of this.entries) {
      if (!all && this.backend.dataIdMap.has(source)) continue;
      for (const info of byTag.values()) this.backend.disposeData(info.dataId);
      this.entries.delete(source);
    }
  }
}

const caches = new WeakMap<HeapBackend, DerivedTensorCache>();

/** The {@link DerivedTensorCache} of a backend instance. */
export function derivedTensorCache(backend: HeapBackend): DerivedTensorCache {
  let cache = caches.get(backend);
  if (!cache) {
    cache = new DerivedTensorCache(backend);
    caches.set(backend, cache);
  }
  return cache;
}
