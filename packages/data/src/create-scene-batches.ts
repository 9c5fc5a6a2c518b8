// Over 450 lines on purpose: one iterator owns the read-ahead, the shuffle buffer, the decode
// workers and the resumable state, which must change together on every batch; its option checks
// and types sit beside it (the in-memory source is its own module).
import { availableParallelism } from "node:os";
import { checkInteger, GqnError } from "@gqn/core";
import { findBuiltModule } from "@gqn/core/node";
import type * as tfc from "@tensorflow/tfjs-core";
import { listDatasetFiles, readDatasetInfo } from "./dataset-files.js";
import type { DatasetInfo, Split } from "./datasets.js";
import { type DecodeBatchJob, type DecodeBatchResult, decodeBatch } from "./decode-batch.js";
import { DecodePool } from "./decode-pool.js";
import { CorruptRecordError } from "./errors.js";
import {
  createInMemorySceneBatches,
  type InMemorySceneBatchOptions,
  isInMemory,
} from "./in-memory-scene-batches.js";
import { cameraToPose } from "./pose.js";
import type { ContextSize, SceneBatch, SceneBatchIterator, SceneBatchState } from "./scene-batch.js";
import { initialSceneSourceState, type LostTail, type SceneItem, SceneSource } from "./scene-source.js";
import { arraysToTensors, loadTfjsCore } from "./scene-tensors.js";
import type { OnCorrupt, SkippedRecord } from "./tfrecord-parser.js";

const WHERE = "createSceneBatches";

export type { ContextSize, SceneBatch, SceneBatchIterator, SceneBatchState } from "./scene-batch.js";

/**
 * Options of {@link createSceneBatches}: scenes from files (`dataDir` and `dataset`), or scenes in
 * memory (`scenes`, any iterable or async iterable of `{ frames, cameras }`).
 */
export type SceneBatchOptions = DirectorySceneBatchOptions | InMemorySceneBatchOptions;

/** Options of {@link createSceneBatches} for a dataset's TFRecord files. */
export interface DirectorySceneBatchOptions {
  /** The directory holding `<dataset>/<split>/<i>-of-<n>.tfrecord`. */
  dataDir: string;
  /** A published dataset name, or any directory of `dataDir` with a `dataset.json`. */
  dataset: string;
  /** Default "train". */
  split?: Split;
  /** Scenes per batch (B). */
  batchSize: number;
  /**
   * Context views per scene (K): fixed, or drawn per batch from `min..max` (the paper's training). At most
   * `views - 1`, since the query view is never a context view. Default `min(5, views - 1)`.
   */
  contextSize?: ContextSize;
  /** Output frame width and height; other than the dataset's, frames are resized bilinearly with corners aligned. */
  frameSize?: number;
  /** Seed of the file order, the scene shuffle and the view draws. Default 0. */
  seed?: number;
  /** Shuffle the file order (per epoch) and scenes (through the buffer). Default true. */
  shuffle?: boolean;
  /** Scenes held in the shuffle buffer (records still JPEG-encoded). Default 256. */
  shuffleBuffer?: number;
  /** Start over (a new file order) at the end of the files, forever. Default true for "train", false for "test". */
  repeat?: boolean;
  /**
   * Without `repeat`, drop a last batch smaller than `batchSize` instead of yielding it. Default false.
   */
  dropRemainder?: boolean;
  /**
   * Worker threads decoding JPEGs ahead of the consumer; 0 decodes in the calling thread when a batch is
   * asked for. Default `min(2, cores - 1)`, at least 1. The data order does not depend on it.
   */
  workers?: number;
  /** Batches decoded ahead when `workers > 0`. Default `2 * workers`. */
  prefetch?: number;
  /** A corrupt record or scene: throw (default), or skip it, report it and go on. */
  onCorrupt?: OnCorrupt;
  /** Called once for each bad record skipped in skip mode (not again in later epochs); default a `warn` line. */
  onSkip?: (skipped: SkippedRecord) => void;
  /**
   * Refuse a partial download (every published shard must be present). Default false: the shards
   * present are read, with a note saying how many.
   */
  requireAllShards?: boolean;
  /** Where warnings go; default `console.warn`. */
  warn?: (message: string) => void;
  /** Resume the data order of an earlier iterator (its `getState()`): the next batch is the one it would have made. */
  state?: SceneBatchState;
  /** The decode worker script; default the package's built `decode-worker.js`. */
  workerUrl?: URL;
}

interface Planned {
  k: number;
  items: SceneItem[];
  /** `k + 1` view indices per scene, the query last. */
  views: number[][];
  state: SceneBatchState;
}

interface Ready extends Planned {
  context: Float32Array;
  target: Float32Array;
}

/** The package's built decode worker (`findBuiltModule`), or undefined when it is not built. */
function defaultWorkerUrl(): URL | undefined {
  return findBuiltModule({ file: "decode-worker.js", callerUrl: import.meta.url, packageName: "@gqn/data" })
    .url;
}

/**
 * Batches of GQN scenes as tfjs tensors, read from `<dataDir>/<dataset>/<split>/` or taken from
 * `scenes` in memory (in their order, views drawn as for files): for each scene a random
 * permutation of its views gives K context views and the next one as the query, never one of the context.
 * Files are read in a seeded order per epoch, scenes pass through a seeded shuffle buffer, and JPEG decoding
 * runs ahead of the consumer on `workers` threads. Records are validated as they are read (CRCs, Example
 * fields, view and camera counts, JPEG headers and frame sizes); `onCorrupt` decides what a bad one does.
 *
 * ```ts
 * const batches = createSceneBatches({ dataDir: "data", dataset: "shepard_metzler_5_parts", batchSize: 36 });
 * for await (const batch of batches) {
 *   train(batch.contextFrames, batch.contextPoses, batch.queryPose, batch.target);
 *   batch.dispose();
 * }
 * ```
 */
export function createSceneBatches(options: SceneBatchOptions): SceneBatchIterator {
  const withFiles = "dataDir" in options || "dataset" in options;
  if (isInMemory(options) === withFiles) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      withFiles
        ? `${WHERE}: pass either dataDir and dataset (files) or scenes (in memory), not both.`
        : `${WHERE}: options need dataDir and dataset (files) or scenes (an iterable of { frames, cameras }).`,
    );
  }
  checkInteger(options.batchSize, WHERE, "batchSize");
  if (options.frameSize !== undefined) checkInteger(options.frameSize, WHERE, "frameSize");
  const state = options.state;
  if (state !== undefined && (state.version !== 1 || !Array.isArray(state.buffer))) {
    throw new GqnError("INVALID_ARGUMENT", `${WHERE}: options.state is not a state from getState().`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new GqnError("INVALID_ARGUMENT", `${WHERE}: seed must be an integer, but got ${options.seed}.`);
  }
  if (isInMemory(options)) return createInMemorySceneBatches(options);
  if (options.shuffleBuffer !== undefined)
    checkInteger(options.shuffleBuffer, WHERE, "shuffleBuffer", { min: 0 });
  if (options.workers !== undefined) checkInteger(options.workers, WHERE, "workers", { min: 0 });
  if (options.prefetch !== undefined) checkInteger(options.prefetch, WHERE, "prefetch");
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new GqnError("INVALID_ARGUMENT", `${WHERE}: split must be "train" or "test", but got "${split}".`);
  }
  const onCorrupt = options.onCorrupt ?? "error";
  if (onCorrupt !== "error" && onCorrupt !== "skip") {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${WHERE}: onCorrupt must be "error" or "skip", but got "${onCorrupt}".`,
    );
  }
  return new SceneBatches(options, split, onCorrupt);
}

class SceneBatches implements SceneBatchIterator {
  readonly skipped: SkippedRecord[] = [];
  private readonly skippedKeys = new Set<string>();
  /** Records counted bad beyond the skips reported: the damaged ends of files (`reportLostTail`). */
  private lostRecords = 0;
  private readonly warn: (message: string) => void;
  private readonly seed: number;
  private state: SceneBatchState;
  private planned: number;
  private infoPromise: Promise<DatasetInfo> | undefined;
  private started: Promise<void> | undefined;
  private source: SceneSource | undefined;
  private pool: DecodePool | undefined;
  private workers = 0;
  private prefetch = 0;
  private kMin = 0;
  private kMax = 0;
  private views = 0;
  private sourceSize = 0;
  private frameSize = 0;
  private nextId = 0;
  /** Source access (takes and draws) one at a time, in order. */
  private planChain: Promise<unknown> = Promise.resolve();
  private queue: Promise<Ready | null>[] = [];
  private ended = false;
  private closed = false;

  constructor(
    private readonly options: DirectorySceneBatchOptions,
    private readonly split: Split,
    private readonly onCorrupt: OnCorrupt,
  ) {
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.seed = options.state?.seed ?? options.seed ?? 0;
    this.state = options.state ?? { version: 1, batches: 0, ...initialSceneSourceState(this.seed) };
    this.planned = this.state.batches;
  }

  [Symbol.asyncIterator](): SceneBatchIterator {
    return this;
  }

  info(): Promise<DatasetInfo> {
    this.infoPromise ??= readDatasetInfo(this.options.dataDir, this.options.dataset);
    return this.infoPromise;
  }

  getState(): SceneBatchState {
    return structuredClone(this.state);
  }

  async next(): Promise<IteratorResult<SceneBatch>> {
    if (this.closed || this.ended) return { done: true, value: undefined };
    try {
      this.started ??= this.start();
      await this.started;
      let ready: Ready | null;
      if (this.workers === 0) {
        ready = await this.produce();
      } else {
        this.fill();
        ready = await (this.queue.shift() as Promise<Ready | null>);
        this.fill();
      }
      if (!ready) {
        this.ended = true;
        await this.close();
        return { done: true, value: undefined };
      }
      const value = await this.toBatch(ready);
      this.state = ready.state;
      return { done: false, value };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<SceneBatch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    await this.pool?.close();
    await this.source?.close();
  }

  private async start(): Promise<void> {
    const { options } = this;
    const info = await this.info();
    this.views = info.views;
    this.sourceSize = info.frameSize;
    this.frameSize = options.frameSize ?? info.frameSize;
    const maxK = info.views - 1;
    const context = options.contextSize ?? Math.min(5, maxK);
    const [kMin, kMax] = typeof context === "number" ? [context, context] : [context.min, context.max];
    if (!Number.isInteger(kMin) || !Number.isInteger(kMax) || kMin < 1 || kMax < kMin || kMax > maxK) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${WHERE}: contextSize must be an integer or { min, max } with 1 <= min <= max <= ${maxK} (views - 1, as the query is never a context view) for "${info.name}", but got ${JSON.stringify(context)}.`,
      );
    }
    this.kMin = kMin;
    this.kMax = kMax;
    const files = await listDatasetFiles(options.dataDir, info, this.split, {
      requireAllShards: options.requireAllShards ?? false,
      warn: this.warn,
    });
    this.source = new SceneSource(
      {
        dataDir: options.dataDir,
        files,
        views: info.views,
        frameSize: info.frameSize,
        seed: this.seed,
        shuffle: options.shuffle ?? true,
        shuffleBuffer: options.shuffleBuffer ?? 256,
        repeat: options.repeat ?? this.split === "train",
        onCorrupt: this.onCorrupt,
        onSkip: (skipped) => this.reportSkip(skipped),
        onLostTail: (lost) => this.reportLostTail(lost),
        ...(files.length === (this.split === "train" ? info.trainFiles : info.testFiles) &&
          typeof info[`${this.split}Scenes`] === "number" && {
            declaredRecords: info[`${this.split}Scenes`] as number,
          }),
        warn: this.warn,
      },
      options.state,
    );
    if (options.state) await this.source.restore(options.state.buffer);
    let workers = options.workers ?? Math.max(1, Math.min(2, availableParallelism() - 1));
    if (workers > 0) {
      const url = options.workerUrl ?? defaultWorkerUrl();
      if (url) {
        this.pool = new DecodePool(workers, url);
      } else {
        this.warn(
          `${WHERE}: decoding in the calling thread: the decode worker is not built (run \`pnpm build\` in @gqn/data, or pass workers: 0 or workerUrl).`,
        );
        workers = 0;
      }
    }
    this.workers = workers;
    this.prefetch = options.prefetch ?? 2 * workers;
  }

  /** Keeps `prefetch` batches planned and decoding. */
  private fill(): void {
    while (!this.closed && this.queue.length < this.prefetch) {
      const ready = this.produce();
      // Awaited later by next(); until then a failure must not count as unhandled.
      ready.catch(() => {});
      this.queue.push(ready);
    }
  }

  private async produce(): Promise<Ready | null> {
    const planned = this.serial(() => this.plan());
    const plan = await planned;
    if (!plan) return null;
    const job = this.pack(plan.items, plan.views, plan.k);
    const result = this.pool ? await this.pool.run(job) : decodeBatch(job);
    return this.repair(plan, result);
  }

  /** Runs `task` after every earlier source access has finished (a failed one fails all after it). */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.planChain.then(task);
    this.planChain = run;
    return run;
  }

  private async plan(): Promise<Planned | null> {
    const source = this.source as SceneSource;
    const random = source.random;
    const k = this.kMin === this.kMax ? this.kMin : random.intBetween(this.kMin, this.kMax);
    const items: SceneItem[] = [];
    const views: number[][] = [];
    while (items.length < this.options.batchSize) {
      const item = await source.take();
      if (!item) break;
      items.push(item);
      views.push(this.drawViews(k));
    }
    if (items.length === 0 || (items.length < this.options.batchSize && this.options.dropRemainder)) {
      return null;
    }
    this.planned++;
    return { k, items, views, state: { version: 1, batches: this.planned, ...source.getState() } };
  }

  /** A random permutation's first `k + 1` views: k context views, then the query. */
  private drawViews(k: number): number[] {
    return (this.source as SceneSource).random.permutation(this.views).slice(0, k + 1);
  }

  private pack(items: readonly SceneItem[], views: readonly number[][], k: number): DecodeBatchJob {
    let bytes = 0;
    items.forEach((item, s) => {
      for (const v of views[s] as number[]) bytes += (item.frames[v] as Uint8Array).length;
    });
    const jpegs = new Uint8Array(bytes);
    const offsets = new Uint32Array(items.length * (k + 1) + 1);
    let at = 0;
    let i = 0;
    items.forEach((item, s) => {
      for (const v of views[s] as number[]) {
        const frame = item.frames[v] as Uint8Array;
        jpegs.set(frame, at);
        offsets[i++] = at;
        at += frame.length;
      }
    });
    offsets[i] = at;
    return {
      id: this.nextId++,
      scenes: items.length,
      k,
      sourceSize: this.sourceSize,
      frameSize: this.frameSize,
      jpegs,
      offsets,
    };
  }

  /**
   * Frames that failed to decode (their headers were fine): an error, or in skip mode the scene is reported
   * and replaced by the next one from the stream, decoded here (rare, so not worth a worker round trip).
   */
  private async repair(plan: Planned, result: DecodeBatchResult): Promise<Ready> {
    let { context, target } = result;
    const failures = [...result.failures];
    const pixels = this.frameSize * this.frameSize * 3;
    const drop = new Set<number>();
    while (failures.length > 0) {
      const failure = failures.shift() as (typeof failures)[number];
      const item = plan.items[failure.scene] as SceneItem;
      const view = (plan.views[failure.scene] as number[])[failure.frame];
      const location = { file: item.path, record: item.locator.record, offset: item.offset };
      const error = new CorruptRecordError(WHERE, `view ${view}: ${failure.reason}`, location);
      if (this.onCorrupt === "error") throw error;
      this.reportSkip({ ...location, reason: error.reason, error });
      const replacement = await this.serial(async () => {
        const next = await (this.source as SceneSource).take();
        return next ? { item: next, views: this.drawViews(plan.k) } : null;
      });
      if (!replacement) {
        drop.add(failure.scene);
        continue;
      }
      plan.items[failure.scene] = replacement.item;
      plan.views[failure.scene] = replacement.views;
      const one = decodeBatch(this.pack([replacement.item], [replacement.views], plan.k));
      if (one.failures.length > 0) {
        failures.push({ ...(one.failures[0] as (typeof failures)[number]), scene: failure.scene });
        continue;
      }
      context.set(one.context, failure.scene * plan.k * pixels);
      target.set(one.target, failure.scene * pixels);
    }
    if (drop.size > 0) {
      // The stream ended before replacements were found: a smaller batch.
      const keep = plan.items.map((_, s) => s).filter((s) => !drop.has(s));
      const c = new Float32Array(keep.length * plan.k * pixels);
      const t = new Float32Array(keep.length * pixels);
      keep.forEach((s, j) => {
        c.set(context.subarray(s * plan.k * pixels, (s + 1) * plan.k * pixels), j * plan.k * pixels);
        t.set(target.subarray(s * pixels, (s + 1) * pixels), j * pixels);
      });
      context = c;
      target = t;
      plan.items = keep.map((s) => plan.items[s] as SceneItem);
      plan.views = keep.map((s) => plan.views[s] as number[]);
    }
    return { ...plan, context, target };
  }

  readCounts(): { records: number; bad: number } {
    return {
      records: (this.source?.distinctRecordsRead() ?? 0) + this.lostRecords,
      bad: this.skipped.length + this.lostRecords,
    };
  }

  /** Counts the records a damaged file end stood for, beyond the one skip reported, with a line. */
  private reportLostTail(lost: LostTail): void {
    this.lostRecords += lost.records;
    this.warn(
      `${WHERE}: ${lost.file}: no record could be read after record ${lost.record} (${lost.bytes} bytes to the end of the file): counted as ${lost.records + 1} bad records, ${lost.basis === "declared" ? "from the records dataset.json declares per file" : "from its bytes over the mean size of the intact records"}.`,
    );
  }

  /** Reports each bad record once: every epoch (and the read-ahead) meets it again. */
  private reportSkip(skipped: SkippedRecord): void {
    const key = `${skipped.file}#${skipped.record}`;
    if (this.skippedKeys.has(key)) return;
    this.skippedKeys.add(key);
    this.skipped.push(skipped);
    if (this.options.onSkip) this.options.onSkip(skipped);
    else this.warn(`${WHERE}: skipped ${skipped.error.message}`);
  }

  private async toBatch(ready: Ready): Promise<SceneBatch> {
    const tf = await loadTfjsCore(WHERE);
    const b = ready.items.length;
    const { k } = ready;
    const contextPoses = new Float32Array(b * k * 7);
    const queryPose = new Float32Array(b * 7);
    ready.items.forEach((item, s) => {
      const views = ready.views[s] as number[];
      views.forEach((v, j) => {
        const camera = item.cameras.subarray(v * 5, v * 5 + 5);
        if (j < k) cameraToPose(camera, contextPoses, (s * k + j) * 7);
        else cameraToPose(camera, queryPose, s * 7);
      });
    });
    const tensors = arraysToTensors(tf, {
      contextFrames: ready.context,
      contextPoses,
      queryPose,
      target: ready.target,
      shape: [b, k, this.frameSize],
    });
    return {
      contextFrames: tensors.contextFrames,
      contextPoses: tensors.contextPoses,
      queryPose: tensors.queryPose,
      target: tensors.target as tfc.Tensor4D,
      scenes: ready.items.map((item, s) => ({
        file: item.locator.file,
        record: item.locator.record,
        views: [...(ready.views[s] as number[])],
      })),
      dispose: tensors.dispose,
    };
  }
}
