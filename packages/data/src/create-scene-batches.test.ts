import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSceneBatches, type SceneBatch, type SceneBatchOptions } from "./create-scene-batches.js";
import { cameraToPose } from "./pose.js";
import { frameColour, testCamera, writeTestDataset } from "./test-datasets.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-batches-"));
let workerUrl: URL;

beforeAll(async () => {
  // Workers cannot run TypeScript: bundle the worker entry as the build does, inside the package so that
  // its runtime require of the JPEG decoder resolves.
  const dir = new URL("../node_modules/.cache/gqn-data-test/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const outfile = new URL(`decode-worker-${process.pid}.mjs`, dir);
  await build({
    entryPoints: [new URL("./decode-worker.ts", import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: outfile.pathname,
    logLevel: "error",
  });
  workerUrl = outfile;
  await writeTestDataset({
    dataDir: root,
    name: "tiny",
    frameSize: 8,
    views: 5,
    train: [3, 4, 2],
    test: [3, 2],
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const base: SceneBatchOptions = { dataDir: root, dataset: "tiny", batchSize: 3, workers: 0, contextSize: 3 };

interface Seen {
  scenes: { file: string; record: number; views: number[] }[];
  k: number;
  frames: Float32Array;
  contextPoses: Float32Array;
  queryPose: Float32Array;
  target: Float32Array;
}

async function take(options: SceneBatchOptions, n: number): Promise<Seen[]> {
  const it = createSceneBatches({ workerUrl, ...options });
  const out: Seen[] = [];
  for await (const batch of it) {
    out.push(await read(batch));
    batch.dispose();
    if (out.length === n) break;
  }
  await it.close();
  return out;
}

async function read(batch: SceneBatch): Promise<Seen> {
  return {
    scenes: batch.scenes,
    k: batch.contextFrames.shape[1],
    frames: (await batch.contextFrames.data()) as Float32Array,
    contextPoses: (await batch.contextPoses.data()) as Float32Array,
    queryPose: (await batch.queryPose.data()) as Float32Array,
    target: (await batch.target.data()) as Float32Array,
  };
}

/** Scene number from a pose (x = scene) and view number (y = view). */
function sceneAndView(poses: Float32Array, i: number): [number, number] {
  return [Math.round(poses[i * 7] as number), Math.round(poses[i * 7 + 1] as number)];
}

describe("createSceneBatches", () => {
  it("yields [B,K,H,W,3] frames matching their poses, the query never a context view, without leaks", async () => {
    const before = tf.memory().numTensors;
    const it = createSceneBatches({ ...base, repeat: true });
    const first = (await it.next()).value as SceneBatch;
    expect(first.contextFrames.shape).toEqual([3, 3, 8, 8, 3]);
    expect(first.contextPoses.shape).toEqual([3, 3, 7]);
    expect(first.queryPose.shape).toEqual([3, 7]);
    expect(first.target.shape).toEqual([3, 8, 8, 3]);
    expect(first.contextFrames.dtype).toBe("float32");
    first.dispose();
    for (let b = 0; b < 8; b++) {
      const batch = (await it.next()).value as SceneBatch;
      const seen = await read(batch);
      batch.dispose();
      for (let s = 0; s < 3; s++) {
        const [scene, query] = sceneAndView(seen.queryPose, s);
        const context = [0, 1, 2].map((j) => sceneAndView(seen.contextPoses, s * 3 + j));
        expect(new Set(context.map(([, v]) => v)).size).toBe(3);
        expect(context.map(([, v]) => v)).not.toContain(query);
        for (const [sc] of context) expect(sc).toBe(scene);
        // The full pose is the camera's, and every frame has its view's colour.
        const pose = cameraToPose(testCamera(scene, query));
        for (let i = 0; i < 7; i++) expect(seen.queryPose[s * 7 + i]).toBeCloseTo(pose[i] as number, 5);
        expect(seen.scenes[s]?.views.slice(0, 3)).toEqual(context.map(([, v]) => v));
        const check = (data: Float32Array, at: number, view: number) => {
          const [r, g, bl] = frameColour(scene, view);
          for (let p = 0; p < 64; p += 7) {
            expect(Math.abs((data[at + p * 3] as number) * 255 - r)).toBeLessThan(3);
            expect(Math.abs((data[at + p * 3 + 1] as number) * 255 - g)).toBeLessThan(3);
            expect(Math.abs((data[at + p * 3 + 2] as number) * 255 - bl)).toBeLessThan(3);
          }
        };
        check(seen.target, s * 192, query);
        context.forEach(([, v], j) => {
          check(seen.frames, (s * 3 + j) * 192, v);
        });
      }
    }
    await it.close();
    expect(tf.memory().numTensors).toBe(before);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("draws K per batch from min..max, the same K for the whole batch", async () => {
    const batches = await take({ ...base, contextSize: { min: 1, max: 4 } }, 24);
    const ks = new Set(batches.map((b) => b.k));
    expect([...ks].sort()).toEqual([1, 2, 3, 4]);
    for (const b of batches) {
      expect(b.contextPoses.length).toBe(3 * b.k * 7);
      for (const s of b.scenes) expect(new Set(s.views).size).toBe(b.k + 1);
    }
  });

  it("reads each scene once per pass without repeat, in a seeded order; a smaller last batch or none", async () => {
    const pass = await take({ ...base, split: "test" }, 100);
    expect(pass.map((b) => b.scenes.length)).toEqual([3, 2]);
    const scenes = pass.flatMap((b) => b.scenes.map((s) => `${s.file}#${s.record}`));
    expect(new Set(scenes).size).toBe(5);
    const dropped = await take({ ...base, split: "test", dropRemainder: true }, 100);
    expect(dropped.map((b) => b.scenes.length)).toEqual([3]);
    // Train: 9 scenes, repeated, in a seeded order.
    const train = await take({ ...base, seed: 4, shuffleBuffer: 2 }, 6);
    const again = await take({ ...base, seed: 4, shuffleBuffer: 2 }, 6);
    const other = await take({ ...base, seed: 5, shuffleBuffer: 2 }, 6);
    const order = (bs: Seen[]) => bs.flatMap((b) => b.scenes.map((s) => `${s.file}#${s.record}:${s.views}`));
    expect(order(again)).toEqual(order(train));
    expect(order(other)).not.toEqual(order(train));
    // Every scene once per pass of the files (a shuffle buffer that spans two passes may hold a
    // scene back past the pass's end, so this reads the passes themselves: a buffer of one).
    const passes = order(await take({ ...base, seed: 4, shuffleBuffer: 1 }, 6)).map((s) => s.split(":")[0]);
    expect(new Set(passes.slice(0, 9)).size).toBe(9);
    expect(new Set(passes.slice(9, 18)).size).toBe(9);
    const unshuffled = await take({ ...base, shuffle: false, split: "test" }, 2);
    expect(unshuffled.flatMap((b) => b.scenes.map((s) => `${s.file}#${s.record}`))).toEqual([
      "tiny/test/1-of-2.tfrecord#0",
      "tiny/test/1-of-2.tfrecord#1",
      "tiny/test/1-of-2.tfrecord#2",
      "tiny/test/2-of-2.tfrecord#0",
      "tiny/test/2-of-2.tfrecord#1",
    ]);
  });

  it("gives the same batches with 0, 1 and 2 decode workers", async () => {
    const options = { ...base, seed: 7, contextSize: { min: 1, max: 3 } };
    const inThread = await take({ ...options, workers: 0 }, 7);
    for (const workers of [1, 2]) {
      const pooled = await take({ ...options, workers, prefetch: 3 }, 7);
      expect(pooled.map((b) => b.scenes)).toEqual(inThread.map((b) => b.scenes));
      pooled.forEach((b, i) => {
        expect(b.frames).toEqual(inThread[i]?.frames);
        expect(b.target).toEqual(inThread[i]?.target);
      });
    }
  });

  it("resumes the data order from getState()", async () => {
    const options = { ...base, seed: 11, shuffleBuffer: 4, contextSize: { min: 1, max: 4 } };
    const straight = await take(options, 9);
    const it = createSceneBatches({ ...options, workers: 2, workerUrl });
    for (let i = 0; i < 4; i++) ((await it.next()).value as SceneBatch).dispose();
    const state = JSON.parse(JSON.stringify(it.getState()));
    expect(state.batches).toBe(4);
    await it.close();
    const resumed = await take({ ...options, state }, 5);
    expect(resumed.map((b) => b.scenes)).toEqual(straight.slice(4).map((b) => b.scenes));
    expect(resumed[0]?.frames).toEqual(straight[4]?.frames);
  });

  it("resizes frames bilinearly with corners aligned, as tf.image.resizeBilinear(alignCorners)", async () => {
    const options = { ...base, seed: 3, split: "test" as const, repeat: false };
    const [native] = await take(options, 1);
    const [resized] = await take({ ...options, frameSize: 5 }, 1);
    expect(resized?.scenes).toEqual(native?.scenes);
    const expected = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor4d(native?.frames as Float32Array, [9, 8, 8, 3]), [5, 5], true),
    );
    const want = await expected.data();
    expected.dispose();
    expect(resized?.frames.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(resized?.frames[i]).toBeCloseTo(want[i] as number, 5);
  });

  it("reads a partial download with a note, and refuses it with requireAllShards", async () => {
    rmSync(join(root, "tiny", "train", "2-of-3.tfrecord"), { force: true });
    try {
      const it = createSceneBatches({ ...base, requireAllShards: true });
      await expect(it.next()).rejects.toThrow(/dataset "tiny" \(train\) has 3 shards .* but 2 are in/);
      const warnings: string[] = [];
      const batches = await take({ ...base, warn: (m) => warnings.push(m), repeat: false }, 10);
      expect(warnings.join("\n")).toMatch(/using 2 of 3 train shards of "tiny"/);
      expect(batches.reduce((n, b) => n + b.scenes.length, 0)).toBe(5);
    } finally {
      await writeTestDataset({
        dataDir: root,
        name: "tiny",
        frameSize: 8,
        views: 5,
        train: [3, 4, 2],
        test: [3, 2],
      });
    }
  });

  it("counts a file whose damage runs to its end by its bytes, when dataset.json declares no count", async () => {
    const name = "garbage-tail";
    const files = await writeTestDataset({
      dataDir: root,
      name,
      frameSize: 8,
      views: 5,
      train: [3, 6],
      test: [1],
    });
    const shard = files.train[1] as string;
    const size = readFileSync(shard).length;
    writeFileSync(shard, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251)));
    const warnings: string[] = [];
    const it = createSceneBatches({
      ...base,
      dataset: name,
      shuffle: false,
      repeat: false,
      onCorrupt: "skip",
      onSkip: () => {},
      warn: (m) => warnings.push(m),
    });
    for await (const batch of it) batch.dispose();
    expect(warnings.join("\n")).toMatch(
      /2-of-2\.tfrecord: no record could be read after record 0 \(\d+ bytes to the end of the file\): counted as 6 bad records, from its bytes over the mean size of the intact records/,
    );
    expect(it.readCounts()).toEqual({ records: 9, bad: 6 });
  });

  it("rejects bad options with one clear error each", async () => {
    expect(() => createSceneBatches({ ...base, batchSize: 0 })).toThrow(
      /createSceneBatches: batchSize must be a positive integer, but got 0/,
    );
    expect(() => createSceneBatches({ ...base, workers: -1 })).toThrow(
      /workers must be a non-negative integer, but got -1/,
    );
    await expect(createSceneBatches({ ...base, contextSize: 5 }).next()).rejects.toThrow(
      /1 <= min <= max <= 4 \(views - 1, as the query is never a context view\)/,
    );
    await expect(createSceneBatches({ ...base, contextSize: { min: 3, max: 2 } }).next()).rejects.toThrow(
      /contextSize must be/,
    );
  });
});
