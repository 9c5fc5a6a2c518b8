import { createRequire } from "node:module";
import { checkInteger, GqnError } from "@gqn/core";
import type * as tf from "@tensorflow/tfjs-core";
import {
  type ConvEngine,
  type ConvFilter,
  type ConvParams,
  type FilterGradientEngine,
  getConvAccelerator,
  setConvAccelerator,
} from "../wasm-kernels/conv-engine.js";
import { buildConvModel, buildGemmModel } from "./conv-model.js";
import { type Im2colShape, im2col, patchesAreInput } from "./im2col.js";

/**
 * How the accelerator runs a convolution:
 * - `"gemm"` (default): the whole batch's patches as one matrix (im2col, in JavaScript) times the
 *   filter as tfjs lays it out, one onnxruntime `Gemm`; the filter gradient is one `Gemm` of the
 *   patches with `dy`. No layout changes, and products large enough for the GEMM's peak.
 * - `"conv"`: onnxruntime's NCHW `Conv`, with transposes around it and the filter laid out as
 *   OIHW; filter gradients as a convolution of the transposed operands (the previous path).
 */
export type OnnxConvMethod = "gemm" | "conv";

/** Options of {@link enableOnnxConvAccelerator}. */
export interface OnnxConvAcceleratorOptions {
  /**
   * onnxruntime intra-op threads per convolution; default 1, like tfjs-backend-wasm in Node, so
   * that data-parallel workers (one per core) do not oversubscribe the cores.
   */
  threads?: number;
  /** See {@link OnnxConvMethod}; default `"gemm"`. */
  method?: OnnxConvMethod;
  /** Convolutions below this many FLOPs stay on XNNPACK (the call costs ~0.1 ms); default 2e6. */
  minFlops?: number;
  /** Most sessions kept (one per shape and padding); least recently used go first; default 64. */
  maxSessions?: number;
  /** Loads a CommonJS module by name; for tests. Default: Node's `require`. */
  requireModule?: (name: string) => unknown;
  /**
   * Turns on onnxruntime's own per-node profiling (for profiling scripts): each session writes
   * `<prefix>_<date>.json` (Chrome trace events) when the accelerator is disabled or evicts it.
   */
  profileFilePrefix?: string;
}

/** What an accelerator has done so far (cumulative; a profiler reads differences). */
export interface OnnxConvStats {
  /** Convolutions run by onnxruntime (filter gradients of the `"gemm"` method included). */
  accelerated: number;
  /** Convolutions left to XNNPACK (too small, or not float32). */
  declined: number;
  /** Sessions built (one per shape and padding). */
  sessionsBuilt: number;
  /** Milliseconds building sessions (model bytes and onnxruntime's graph optimisation). */
  sessionMs: number;
  /** Milliseconds laying filters out as OIHW (once per weight tensor and use: cache misses). */
  filterLayoutMs: number;
  /** Milliseconds writing the `"gemm"` method's patch matrices (im2col; a part of `copyMs`). */
  patchMs: number;
  /** Milliseconds inside onnxruntime's `run` (its NHWC/NCHW transposes included). */
  runMs: number;
  /** Milliseconds making the feeds (the `"gemm"` method's patches included) and copying the output back into the wasm heap. */
  copyMs: number;
}

/** Handle of an installed accelerator. */
export interface OnnxConvAccelerator {
  /** onnxruntime-node's version. */
  readonly version: string;
  /** Counters and times; see {@link OnnxConvStats}. */
  readonly stats: OnnxConvStats;
  /** Uninstalls it (and frees its sessions): convolutions go back to XNNPACK. */
  disable(): void;
}

/** The synchronous session object of onnxruntime-node's native binding. */
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, unknown>,
    options: object,
  ): Record<string, unknown>;
  endProfiling(): void;
  dispose(): void;
}

interface OrtModules {
  version: string;
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
  newSession: () => NativeSession;
}

/** The tfjs-backend-wasm internals a zero-copy feed needs. */
interface WasmBackendInternals extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * Loads onnxruntime-node and returns its synchronous native session. tfjs kernels are
 * synchronous, and onnxruntime-node's public `session.run` is async only in appearance: it defers
 * a synchronous native `run` with `setImmediate`. Calling that native run directly from the
 * kernel costs nothing; the alternatives measured (a worker thread blocked on with
 * `Atomics.wait`, or an async training step) add copies, a thread hop, or an API change
 * (docs/performance.md). The native binding is not public API, hence the exact version pin
 * and the checks below, which fail with a clear message instead of misbehaving.
 */
function loadOrt(requireModule: (name: string) => unknown): OrtModules {
  const ort = requireModule("onnxruntime-node") as {
    Tensor?: OrtModules["Tensor"];
    env?: { versions?: { node?: string } };
  };
  const internal = requireModule("onnxruntime-node/dist/binding") as {
    binding?: { InferenceSession?: new () => NativeSession };
    initOrt?: () => void;
  };
  const NativeInferenceSession = internal.binding?.InferenceSession;
  if (!ort.Tensor || !NativeInferenceSession || typeof internal.initOrt !== "function") {
    throw new Error("this onnxruntime-node has no synchronous native InferenceSession (tested with 1.30.0)");
  }
  internal.initOrt();
  return {
    version: ort.env?.versions?.node ?? "unknown",
    Tensor: ort.Tensor,
    newSession: () => new NativeInferenceSession(),
  };
}

let current: OnnxConvAccelerator | undefined;

/**
 * Routes the wasm training kernels' convolutions (forward `Conv2D` / `FusedConv2D`, the filter
 * and input gradients, `conv2dTranspose`) through onnxruntime-node's CPU engine, by default as
 * one matrix product per convolution over the whole batch ({@link OnnxConvMethod}): one cached
 * session per shape, fed from the wasm heap. Results match XNNPACK to float32 rounding. Needs `@tensorflow/tfjs-backend-wasm` active with {@link registerWasmTrainingKernels}
 * (what `initBackend` does for wasm); other backends are unaffected.
 *
 * onnxruntime-node is an optional peer dependency (install it with its postinstall skipped: its
 * CPU binary ships in the package). Throws `GqnError("BACKEND_UNAVAILABLE")` when it cannot load;
 * see {@link tryEnableOnnxConvAccelerator} for the quiet variant. Calling it again replaces the
 * previous accelerator.
 */
export function enableOnnxConvAccelerator(options: OnnxConvAcceleratorOptions = {}): OnnxConvAccelerator {
  const method = options.method ?? "gemm";
  if (method !== "gemm" && method !== "conv") {
    throw new GqnError(
      "INVALID_CONFIG",
      `enableOnnxConvAccelerator: method must be "gemm" or "conv", but got ${JSON.stringify(method)}.`,
    );
  }
  const threads = options.threads ?? 1;
  const minFlops = options.minFlops ?? 2e6;
  const maxSessions = options.maxSessions ?? 64;
  checkInteger(threads, "enableOnnxConvAccelerator", "threads", { min: 0 });
  let ort: OrtModules;
  try {
    ort = loadOrt(options.requireModule ?? createRequire(import.meta.url));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new GqnError(
      "BACKEND_UNAVAILABLE",
      `enableOnnxConvAccelerator: onnxruntime-node could not be loaded (${reason}); to install it: npm install onnxruntime-node@1.30.0 --ignore-scripts (its CPU binary ships in the package).`,
    );
  }
  current?.disable();

  const sessions = new Map<string, NativeSession>();
  const stats: OnnxConvStats = {
    accelerated: 0,
    declined: 0,
    sessionsBuilt: 0,
    sessionMs: 0,
    filterLayoutMs: 0,
    patchMs: 0,
    runMs: 0,
    copyMs: 0,
  };
  const sessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    executionProviders: ["cpu"],
    // Every session (one per shape) has a thread pool of its own, and onnxruntime's threads spin
    // for a while after their work: with tens of sessions in a step, the idle pools' spinning
    // threads took the cores from the running one (tiny 207 -> 149 ms per step, small 936 -> 624,
    // CPU time per step halved, when they block instead).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
    ...(options.profileFilePrefix !== undefined && {
      enableProfiling: true,
      profileFilePrefix: options.profileFilePrefix,
    }),
  };
  const release = (session: NativeSession) => {
    if (options.profileFilePrefix !== undefined) session.endProfiling();
    session.dispose();
  };

  const sessionFor = (key: string, build: () => Uint8Array): NativeSession => {
    let session = sessions.get(key);
    if (session) {
      sessions.delete(key); // re-insert: Map order is the LRU order
    } else {
      const started = performance.now();
      const bytes = build();
      session = ort.newSession();
      session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions);
      stats.sessionsBuilt++;
      stats.sessionMs += performance.now() - started;
      if (sessions.size >= maxSessions) {
        const [oldestKey, oldest] = sessions.entries().next().value as [string, NativeSession];
        sessions.delete(oldestKey);
        release(oldest);
      }
    }
    sessions.set(key, session);
    return session;
  };

  // OIHW copies of filters, per source tensor (its dataId: tensor values never change) and
  // derivation tag; entries go when the tensor is garbage collected.
  const oihwCache = new WeakMap<object, Map<string, Float32Array>>();
  const filterOihw = (filter: ConvFilter, backend: WasmBackendInternals): Float32Array => {
    const key = filter.cacheKey;
    const cached = key && oihwCache.get(key.source)?.get(key.tag);
    if (cached) return cached;
    const started = performance.now();
    const info = filter.materialize();
    if (info.dtype !== "float32") throw new Error("enableOnnxConvAccelerator: filters must be float32.");
    const oihw = hwioToOihw(backend.typedArrayFromHeap(info), filter.shape);
    stats.filterLayoutMs += performance.now() - started;
    if (key) {
      const byTag = oihwCache.get(key.source) ?? new Map<string, Float32Array>();
      byTag.set(key.tag, oihw);
      oihwCache.set(key.source, byTag);
    }
    return oihw;
  };

  /**
   * The patch matrix of `x` for one convolution, as a temporary of `scope` in the wasm heap (so
   * that {@link im2col} copies within one buffer), or `x` itself for a 1x1 convolution. Call it
   * before taking other views: it allocates.
   */
  const patchesOf = (
    scope: Parameters<ConvEngine>[0],
    backend: WasmBackendInternals,
    x: tf.TensorInfo,
    shape: Im2colShape,
    params: ConvParams,
  ): tf.TensorInfo => {
    if (patchesAreInput(shape, params)) return x;
    const [n, , , ci] = shape.x;
    const rows = n * shape.out[0] * shape.out[1];
    const patches = scope.adopt(
      backend.makeOutput([rows, shape.kernel[0] * shape.kernel[1] * ci], "float32"),
    );
    const started = performance.now();
    const xView = backend.typedArrayFromHeap(x);
    const patchView = backend.typedArrayFromHeap(patches);
    const memory = new Float32Array(xView.buffer);
    im2col(memory, xView.byteOffset / 4, shape, params, patchView.byteOffset / 4);
    stats.patchMs += performance.now() - started;
    return patches;
  };

  /** Runs `session` on the feeds, copies its `y` into `outView` (a wasm heap view), and counts it. */
  const runInto = (
    session: NativeSession,
    feeds: Record<string, unknown>,
    outView: Float32Array,
    feedStarted: number,
  ): void => {
    const runStarted = performance.now();
    const result = session.run(feeds, { y: null }, {}) as { y?: { data?: Float32Array } };
    const runEnded = performance.now();
    const data = result.y?.data;
    if (!(data instanceof Float32Array) || data.length !== outView.length) {
      throw new Error(
        "enableOnnxConvAccelerator: onnxruntime returned no float32 output of the expected size.",
      );
    }
    outView.set(data);
    stats.accelerated++;
    stats.runMs += runEnded - runStarted;
    stats.copyMs += runStarted - feedStarted + (performance.now() - runEnded);
  };

  /** Runs a cached `Gemm` session on the feeds into `outView`. */
  const runGemm = (
    spec: Parameters<typeof buildGemmModel>[0],
    feeds: Record<string, unknown>,
    outView: Float32Array,
    feedStarted: number,
  ): void =>
    runInto(
      sessionFor(`gemm ${JSON.stringify(spec)}`, () => buildGemmModel(spec)),
      feeds,
      outView,
      feedStarted,
    );

  /**
   * The geometry of a convolution the accelerator takes, or `undefined` (counted as declined) for
   * one it leaves to the backend: not wasm, not float32, under `minFlops`, or a bias of another size.
   */
  const accepted = (
    scope: Parameters<ConvEngine>[0],
    x: tf.TensorInfo,
    filter: ConvFilter,
    params: ConvParams,
    bias: tf.TensorInfo | undefined,
  ) => {
    const backend = scope.backend as WasmBackendInternals;
    const [n, h, w, ci] = x.shape as [number, number, number, number];
    const [kh, kw, , co] = filter.shape;
    const outShape = convOutShape(x.shape, filter.shape, params);
    const flops = 2 * outShape.reduce((a, b) => a * b, 1) * kh * kw * ci;
    const biasSize = bias ? bias.shape.reduce((a, b) => a * b, 1) : 0;
    if (
      typeof backend.typedArrayFromHeap !== "function" ||
      x.dtype !== "float32" ||
      flops < minFlops ||
      (bias && (biasSize !== co || bias.dtype !== "float32"))
    ) {
      stats.declined++;
      return undefined;
    }
    return { backend, n, h, w, ci, kh, kw, co, outShape };
  };

  const gemmEngine: ConvEngine = (scope, x, filter, params, bias) => {
    const geometry = accepted(scope, x, filter, params, bias);
    if (!geometry) return undefined;
    const { backend, n, h, w, ci, kh, kw, co, outShape } = geometry;
    const [, ho, wo] = outShape as [number, number, number, number];
    const rows = n * ho * wo;
    const depth = kh * kw * ci;
    // Materialise (a derived filter may allocate) and allocate before taking views: a heap
    // growth would detach earlier views into the wasm memory.
    const feedStarted = performance.now();
    const filterInfo = filter.materialize();
    if (filterInfo.dtype !== "float32")
      throw new Error("enableOnnxConvAccelerator: filters must be float32.");
    const out = scope.adopt(backend.makeOutput(outShape, "float32"));
    const patches = patchesOf(
      scope,
      backend,
      x,
      { x: [n, h, w, ci], kernel: [kh, kw], out: [ho, wo] },
      params,
    );
    const feeds: Record<string, unknown> = {
      a: new ort.Tensor("float32", backend.typedArrayFromHeap(patches), [rows, depth]),
      // HWIO is already the [kh*kw*Ci, Co] matrix the product needs.
      b: new ort.Tensor("float32", backend.typedArrayFromHeap(filterInfo), [depth, co]),
    };
    if (bias) feeds.c = new ort.Tensor("float32", backend.typedArrayFromHeap(bias), [co]);
    runGemm(
      { m: rows, k: depth, n: co, bias: Boolean(bias) },
      feeds,
      backend.typedArrayFromHeap(out),
      feedStarted,
    );
    if (patches !== x) scope.free(patches);
    return out;
  };

  const gemmFilterGradient: FilterGradientEngine = (scope, x, dy, params, [kh, kw]) => {
    const backend = scope.backend as WasmBackendInternals;
    if (typeof backend.typedArrayFromHeap !== "function" || x.dtype !== "float32" || dy.dtype !== "float32") {
      stats.declined++;
      return undefined;
    }
    const [n, h, w, ci] = x.shape as [number, number, number, number];
    const [, ho, wo, co] = dy.shape as [number, number, number, number];
    const rows = n * ho * wo;
    const depth = kh * kw * ci;
    if (2 * rows * depth * co < minFlops) {
      stats.declined++;
      return undefined;
    }
    const feedStarted = performance.now();
    const out = scope.adopt(backend.makeOutput([kh, kw, ci, co], "float32"));
    const patches = patchesOf(
      scope,
      backend,
      x,
      { x: [n, h, w, ci], kernel: [kh, kw], out: [ho, wo] },
      params,
    );
    const feeds = {
      a: new ort.Tensor("float32", backend.typedArrayFromHeap(patches), [rows, depth]),
      b: new ort.Tensor("float32", backend.typedArrayFromHeap(dy), [rows, co]),
    };
    // patchesᵀ [kh*kw*Ci, N*Ho*Wo] x dy [N*Ho*Wo, Co]: the gradient, already HWIO.
    runGemm({ m: depth, k: rows, n: co, transA: true }, feeds, backend.typedArrayFromHeap(out), feedStarted);
    if (patches !== x) scope.free(patches);
    return out;
  };

  const convEngine: ConvEngine = (scope, x, filter, params, bias) => {
    const geometry = accepted(scope, x, filter, params, bias);
    if (!geometry) return undefined;
    const { backend, n, h, w, ci, kh, kw, co, outShape } = geometry;
    const spec = { xShape: [n, h, w, ci], filterShape: [kh, kw, ci, co], bias: Boolean(bias), ...params };
    const session = sessionFor(JSON.stringify(spec), () => buildConvModel(spec));
    const oihw = filterOihw(filter, backend);
    // Allocate before taking views: a heap growth would detach earlier views into the wasm memory.
    const feedStarted = performance.now();
    const out = scope.adopt(backend.makeOutput(outShape, "float32"));
    const feeds: Record<string, unknown> = {
      x: new ort.Tensor("float32", backend.typedArrayFromHeap(x), x.shape),
      w: new ort.Tensor("float32", oihw, [co, ci, kh, kw]),
    };
    if (bias) feeds.b = new ort.Tensor("float32", backend.typedArrayFromHeap(bias), [co]);
    runInto(session, feeds, backend.typedArrayFromHeap(out), feedStarted);
    return out;
  };

  const engine = method === "gemm" ? gemmEngine : convEngine;
  setConvAccelerator(engine, method === "gemm" ? gemmFilterGradient : undefined);
  const handle: OnnxConvAccelerator = {
    version: ort.version,
    stats,
    disable() {
      if (getConvAccelerator() === engine) setConvAccelerator(undefined);
      for (const session of sessions.values()) release(session);
      sessions.clear();
      if (current === handle) current = undefined;
    },
  };
  current = handle;
  return handle;
}

/**
 * {@link enableOnnxConvAccelerator}, or `undefined` and a logged reason when onnxruntime-node is
 * not installed: for entry points where the accelerator is a bonus.
 */
export function tryEnableOnnxConvAccelerator(
  options: OnnxConvAcceleratorOptions & { log?: (message: string) => void } = {},
): OnnxConvAccelerator | undefined {
  try {
    const accelerator = enableOnnxConvAccelerator(options);
    options.log?.(`[gqn] convolutions: onnxruntime-node ${accelerator.version}`);
    return accelerator;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Not installed is the common case, and it is optional: one short line, not the loader's error.
    const missing = /Cannot find (module|package) 'onnxruntime-node'/.test(message);
    options.log?.(
      missing
        ? "[gqn] convolutions: XNNPACK (onnxruntime-node, optional, is not installed; docs/performance.md says how to add it)"
        : `[gqn] convolutions: XNNPACK (${message})`,
    );
    return undefined;
  }
}

/** `[kh,kw,Ci,Co]` -> `[Co,Ci,kh,kw]`, one pass, reading sequentially. */
function hwioToOihw(src: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [kh, kw, ci, co] = shape;
  const taps = kh * kw;
  const out = new Float32Array(src.length);
  let s = 0;
  for (let tap = 0; tap < taps; tap++) {
    for (let i = 0; i < ci; i++) {
      let o = i * taps + tap;
      const step = ci * taps;
      for (let c = 0; c < co; c++, o += step) out[o] = src[s++] as number;
    }
  }
  return out;
}

function convOutShape(
  xShape: readonly number[],
  filterShape: readonly number[],
  params: ConvParams,
): number[] {
  const [n, h, w] = xShape as [number, number, number];
  const [kh, kw, , co] = filterShape as [number, number, number, number];
  const [top, bottom, left, right] = params.pads;
  const ho = Math.floor((h + top + bottom - (params.dilations[0] * (kh - 1) + 1)) / params.strides[0]) + 1;
  const wo = Math.floor((w + left + right - (params.dilations[1] * (kw - 1) + 1)) / params.strides[1]) + 1;
  return [n, ho, wo, co];
}
