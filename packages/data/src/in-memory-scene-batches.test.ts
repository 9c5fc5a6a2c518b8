import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { createSceneBatches, type SceneBatch } from "./create-scene-batches.js";
import type { InMemoryScene } from "./scene-tensors.js";

// Scene s, view v: a 2x2 frame filled with byte 10 * s + v, and camera x = 10 * s + v, so every
// value in a batch says which scene and view it came from.
const scene = (s: number, views = 4): InMemoryScene => ({
  frames: Array.from({ length: views }, (_, v) => new Uint8Array(12).fill(10 * s + v)),
  cameras: Array.from({ length: views }, (_, v) => [10 * s + v, 0, 0, 0, 0]),
});
const scenes = Array.from({ length: 5 }, (_, s) => scene(s));

/** Per scene of a batch: [scene*10+view of each context view..., of the query]. */
async function ids(batch: SceneBatch): Promise<number[][]> {
  const [b, k] = batch.contextPoses.shape;
  const poses = await batch.contextPoses.data();
  const query = await batch.queryPose.data();
  const target = await batch.target.data();
  const frames = await batch.contextFrames.data();
  return Array.from({ length: b }, (_, s) => {
    const context = Array.from({ length: k }, (_, j) => {
      const id = poses[(s * k + j) * 7] as number;
      expect(Math.round((frames[(s * k + j) * 12] as number) * 255)).toBe(id);
      return id;
    });
    expect(Math.round((target[s * 12] as number) * 255)).toBe(query[s * 7]);
    return [...context, query[s * 7] as number];
  });
}

async function take(iterator: AsyncIterator<SceneBatch>, n: number): Promise<number[][][]> {
  const out: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(await ids(next.value));
    next.value.dispose();
  }
  return out;
}

describe("createSceneBatches from scenes in memory", () => {
  it("batches an array in order, draws distinct context and query views, and repeats it", async () => {
    const before = tf.memory().numTensors;
    const batches = createSceneBatches({ scenes, batchSize: 2, contextSize: 2, seed: 3 });
    expect(await batches.info()).toMatchObject({ views: 4, frameSize: 2, testFiles: 0 });
    const got = await take(batches, 4);
    expect(got.map((b) => b.map((views) => Math.floor((views[0] as number) / 10)))).toEqual([
      [0, 1],
      [2, 3],
      [4, 0],
      [1, 2],
    ]);
    for (const batch of got) {
      for (const views of batch) {
        expect(new Set(views).size).toBe(3);
        expect(new Set(views.map((v) => Math.floor(v / 10))).size).toBe(1);
      }
    }
    await batches.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("takes an async generator once, resizing frames; a spent generator ends the batches", async () => {
    async function* generate() {
      for (let s = 0; s < 3; s++) yield scene(s, 3);
    }
    const batches = createSceneBatches({ scenes: generate(), batchSize: 2, contextSize: 1, frameSize: 4 });
    const first = await batches.next();
    expect(first.done).toBe(false);
    expect((first.value as SceneBatch).contextFrames.shape).toEqual([2, 1, 4, 4, 3]);
    (first.value as SceneBatch).dispose();
    const second = await batches.next();
    expect((second.value as SceneBatch).target.shape).toEqual([1, 4, 4, 3]);
    (second.value as SceneBatch).dispose();
    expect((await batches.next()).done).toBe(true);
  });

  it("resumes from getState(): the batch after the state is the one an unbroken iterator makes", async () => {
    const unbroken = createSceneBatches({ scenes, batchSize: 2, contextSize: { min: 1, max: 3 }, seed: 9 });
    const expected = await take(unbroken, 5);
    const first = createSceneBatches({ scenes, batchSize: 2, contextSize: { min: 1, max: 3 }, seed: 9 });
    const head = await take(first, 2);
    const resumed = createSceneBatches({
      scenes,
      batchSize: 2,
      contextSize: { min: 1, max: 3 },
      state: first.getState(),
    });
    expect([...head, ...(await take(resumed, 3))]).toEqual(expected);
  });

  it("names what is wrong with the options and the scenes", async () => {
    expect(() =>
      createSceneBatches({ scenes, dataDir: "data", dataset: "x", batchSize: 1 } as never),
    ).toThrow("createSceneBatches: pass either dataDir and dataset (files) or scenes (in memory), not both.");
    expect(() => createSceneBatches({ batchSize: 1 } as never)).toThrow(
      "createSceneBatches: options need dataDir and dataset (files) or scenes (an iterable of { frames, cameras }).",
    );
    await expect(createSceneBatches({ scenes: [], batchSize: 1 }).next()).rejects.toThrow(
      "createSceneBatches: scenes gave no scene.",
    );
    await expect(createSceneBatches({ scenes, batchSize: 1, contextSize: 4 }).next()).rejects.toThrow(
      /contextSize must be .* <= 3/,
    );
  });
});
