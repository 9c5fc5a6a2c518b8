import { deriveSeed, GqnError, Random } from "@gqn/core";
import type { DatasetInfo } from "./datasets.js";
import type { ContextSize, SceneBatch, SceneBatchIterator, SceneBatchState } from "./scene-batch.js";
import {
  arraysToTensors,
  frameSizeOf,
  type InMemoryScene,
  loadTfjsCore,
  sceneCameraCount,
  scenesToArrays,
} from "./scene-tensors.js";
import type { SkippedRecord } from "./tfrecord-parser.js";

const WHERE = "createSceneBatches";

/** Scenes in memory, or made on the fly: an array, a generator, any (async) iterable. */
export type SceneIterable = AsyncIterable<InMemoryScene> | Iterable<InMemoryScene>;

/** Options of {@link createSceneBatches} for scenes in memory. */
export interface InMemorySceneBatchOptions {
  /** The scenes, in the order they are batched (no shuffle: shuffle them as you make them). */
  scenes: SceneIterable;
  /** Scenes per batch (B). */
  batchSize: number;
  /** Context views per scene (K), fixed or `{ min, max }` per batch; default `min(5, views - 1)`. */
  contextSize?: ContextSize;
  /** Output frame size; other than the scenes', byte frames are resized bilinearly (corners aligned). */
  frameSize?: number;
  /** Seed of the view draws. Default 0. */
  seed?: number;
  /**
   * At the end of the scenes, iterate them again (an array does; a spent generator gives nothing
   * and ends the batches). Default true.
   */
  repeat?: boolean;
  /** Without `repeat`, drop a last batch smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /**
   * Carry on from an earlier iterator's `getState()`: the view draws continue, and the scenes
   * already batched in the current pass are skipped (the same batches when the scenes are too).
   */
  state?: SceneBatchState;
}

/** Whether `options` asks for scenes in memory rather than files. */
export function isInMemory(options: object): options is InMemorySceneBatchOptions {
  return "scenes" in options;
}

/** The first scene of `scenes` and an iterable that yields it again before the rest (for one pass). */
export async function peekScene(
  scenes: SceneIterable,
): Promise<{ first: InMemoryScene | undefined; scenes: SceneIterable }> {
  const iterator = iteratorOf(scenes);
  const head = await iterator.next();
  if (head.done) return { first: undefined, scenes };
  let replayed = false;
  const rest: AsyncIterable<InMemoryScene> = {
    [Symbol.asyncIterator]: () => {
      // The first pass replays the peeked scene, later passes start the iterable afresh.
      if (replayed) return iteratorOf(scenes);
      replayed = true;
      let sent = false;
      return {
        next: async () => {
          if (!sent) {
            sent = true;
            return { done: false, value: head.value };
          }
          return iterator.next();
        },
        return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
  return { first: head.value, scenes: rest };
}

/**
 * The facts of scenes in memory, as a dataset's: views and frame size from the first scene;
 * no files, and so no test split.
 */
export function inMemoryDatasetInfo(first: InMemoryScene, name = "in-memory"): DatasetInfo {
  const frame = first.frames[0];
  if (frame === undefined) throw new GqnError("INVALID_ARGUMENT", `${WHERE}: the first scene has no frames.`);
  return {
    name,
    trainFiles: 0,
    testFiles: 0,
    frameSize: frameSizeOf(frame, WHERE),
    views: Math.min(first.frames.length, sceneCameraCount(first, WHERE)),
  };
}

function iteratorOf(scenes: SceneIterable): AsyncIterator<InMemoryScene> {
  if (Symbol.asyncIterator in scenes) return scenes[Symbol.asyncIterator]();
  if (Symbol.iterator in scenes) {
    const iterator = scenes[Symbol.iterator]();
    return {
      next: async () => iterator.next(),
      return: async () => iterator.return?.() ?? { done: true, value: undefined },
    };
  }
  throw new GqnError(
    "INVALID_ARGUMENT",
    `${WHERE}: scenes must be an iterable or async iterable of { frames, cameras }, but got ${typeof scenes}.`,
  );
}

/** Batches of scenes in memory, as {@link createSceneBatches} makes of files. */
export function createInMemorySceneBatches(options: InMemorySceneBatchOptions): SceneBatchIterator {
  return new InMemorySceneBatches(options);
}

class InMemorySceneBatches implements SceneBatchIterator {
  readonly skipped: readonly SkippedRecord[] = [];
  private state: SceneBatchState;
  private readonly random: Random;
  private iterator: AsyncIterator<InMemoryScene> | undefined;
  private infoPromise: Promise<DatasetInfo> | undefined;
  private scenes: SceneIterable;
  private ended = false;
  private taken = 0;

  constructor(private readonly options: InMemorySceneBatchOptions) {
    const seed = options.state?.seed ?? options.seed ?? 0;
    this.scenes = options.scenes;
    this.random = options.state
      ? Random.fromState(options.state.random)
      : new Random(deriveSeed(seed, "in-memory scene batches"));
    this.state = options.state
      ? structuredClone(options.state)
      : {
          version: 1,
          batches: 0,
          seed,
          epoch: 0,
          file: 0,
          record: 0,
          random: this.random.getState(),
          buffer: [],
        };
  }

  [Symbol.asyncIterator](): SceneBatchIterator {
    return this;
  }

  info(): Promise<DatasetInfo> {
    this.infoPromise ??= peekScene(this.scenes).then(({ first, scenes }) => {
      if (!first) throw new GqnError("INVALID_ARGUMENT", `${WHERE}: scenes gave no scene.`);
      this.scenes = scenes;
      return inMemoryDatasetInfo(first);
    });
    return this.infoPromise;
  }

  getState(): SceneBatchState {
    return structuredClone(this.state);
  }

  /** Scenes in memory are never bad: every scene taken counts as a record read. */
  readCounts(): { records: number; bad: number } {
    return { records: this.taken, bad: 0 };
  }

  async next(): Promise<IteratorResult<SceneBatch>> {
    if (this.ended) return { done: true, value: undefined };
    const info = await this.info();
    if (!this.iterator) {
      this.iterator = iteratorOf(this.scenes);
      // A resumed run skips what the current pass already batched.
      for (let i = 0; i < this.state.record; i++) {
        if ((await this.iterator.next()).done) break;
      }
    }
    const k = this.contextSize(info.views);
    const scenes: InMemoryScene[] = [];
    while (scenes.length < this.options.batchSize) {
      const scene = await this.take();
      if (!scene) break;
      scenes.push(scene);
    }
    if (scenes.length === 0 || (scenes.length < this.options.batchSize && this.options.dropRemainder)) {
      this.ended = true;
      return { done: true, value: undefined };
    }
    const views = scenes.map((scene, s) => {
      const count = Math.min(scene.frames.length, sceneCameraCount(scene, WHERE));
      if (count < k + 1) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${WHERE}: scene ${this.state.record - scenes.length + s} of the pass has ${count} views with frames and cameras, fewer than K + 1 = ${k + 1}.`,
        );
      }
      const drawn = this.random.permutation(count).slice(0, k + 1);
      return { context: drawn.slice(0, k), query: drawn[k] as number };
    });
    const arrays = scenesToArrays(scenes, views, {
      frameSize: this.options.frameSize ?? info.frameSize,
    });
    const tf = await loadTfjsCore(WHERE);
    this.state.batches++;
    this.state.random = this.random.getState();
    const tensors = arraysToTensors(tf, arrays);
    return {
      done: false,
      value: {
        contextFrames: tensors.contextFrames,
        contextPoses: tensors.contextPoses,
        queryPose: tensors.queryPose,
        target: tensors.target as NonNullable<typeof tensors.target>,
        scenes: views.map((v, s) => ({
          file: "in-memory",
          record: this.state.record - scenes.length + s,
          views: [...v.context, v.query],
        })),
        dispose: tensors.dispose,
      },
    };
  }

  async return(): Promise<IteratorResult<SceneBatch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.iterator?.return?.();
  }

  /** K for the next batch: fixed, or drawn from `min..max`. */
  private contextSize(views: number): number {
    const context = this.options.contextSize ?? Math.min(5, views - 1);
    const [kMin, kMax] = typeof context === "number" ? [context, context] : [context.min, context.max];
    if (!Number.isInteger(kMin) || !Number.isInteger(kMax) || kMin < 1 || kMax < kMin || kMax > views - 1) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${WHERE}: contextSize must be an integer or { min, max } with 1 <= min <= max <= ${views - 1} (views - 1, as the query is never a context view), but got ${JSON.stringify(context)}.`,
      );
    }
    return kMin === kMax ? kMin : this.random.intBetween(kMin, kMax);
  }

  /** The next scene, starting a new pass at the end when `repeat` (unless a pass gives nothing). */
  private async take(): Promise<InMemoryScene | undefined> {
    const iterator = this.iterator as AsyncIterator<InMemoryScene>;
    let next = await iterator.next();
    if (next.done && (this.options.repeat ?? true) && this.state.record > 0) {
      this.iterator = iteratorOf(this.scenes);
      this.state.epoch++;
      this.state.record = 0;
      next = await this.iterator.next();
    }
    if (next.done) return undefined;
    this.state.record++;
    this.taken++;
    return next.value;
  }
}
