import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObjectMasks, readDatasetInfo, type SceneBatch } from "@gqn/data/node";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextAverage, nearestContextView } from "../baselines.js";
import { planeSweep } from "../plane-sweep.js";
import { cameraOptics, disposeFirstBatch, meanTrainingImage, scoreQueries } from "./score-queries.js";

const dataDir = mkdtempSync(join(tmpdir(), "gqn-score-"));
const data = { dataDir, dataset: "rooms_ring_camera", workers: 0 };
/** The rooms every test scores: 12 train and 5 test scenes at 16 px. */
const rooms = {
  scene: "rooms_ring_camera",
  trainScenes: 12,
  testScenes: 5,
  frameSize: 16,
  scenesPerFile: 6,
  workers: 0,
} as const;

beforeAll(async () => {
  await writeSyntheticDataset({ ...rooms, out: dataDir });
}, 60_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("scoreQueries", () => {
  it("scores each renderer and the four baselines on the same queries", async () => {
    const info = await readDatasetInfo(dataDir, "rooms_ring_camera");
    const optics = { fovDegrees: info.fovDegrees ?? 0, depthRange: info.depthRange ?? [1, 2] };
    const before = tf.memory().numTensors;
    const mean = await meanTrainingImage(data, { images: 24, seed: 1 });
    expect(mean.shape).toEqual([16, 16, 3]);
    const scores = await scoreQueries(data, {
      mean,
      contextSize: 3,
      batchSize: 2,
      seed: 3,
      renderers: {
        asMean: (batch) =>
          tf.tidy(() => tf.broadcastTo(tf.expandDims(mean, 0), batch.target.shape) as tf.Tensor4D),
        asContextAverage: (batch) => contextAverage(batch.contextFrames),
        asNearest: (batch) => nearestContextView(batch.contextFrames, batch.contextPoses, batch.queryPose),
        asPlaneSweep: (batch) => planeSweep(batch.contextFrames, batch.contextPoses, batch.queryPose, optics),
        // Noise on the target beats every baseline.
        nearPerfect: (batch) =>
          tf.tidy(
            () =>
              tf.add(
                batch.target,
                tf.randomUniform(batch.target.shape, -0.01, 0.01, "float32", 5),
              ) as tf.Tensor4D,
          ),
      },
    });
    expect(scores.scenes).toBe(5);
    expect(scores.renders.asMean.mse).toBeCloseTo(scores.baselines.meanImage.mse, 10);
    expect(scores.renders.asContextAverage.mse).toBeCloseTo(scores.baselines.contextAverage.mse, 10);
    expect(scores.renders.asNearest.mse).toBeCloseTo(scores.baselines.nearestView.mse, 10);
    // gqn-synth wrote the optics into dataset.json, so the plane sweep is scored with them.
    expect(optics.fovDegrees).toBe(60);
    expect(scores.renders.asPlaneSweep.mse).toBeCloseTo(scores.baselines.planeSweep?.mse ?? Number.NaN, 10);
    for (const baseline of Object.values(scores.baselines)) {
      expect(scores.renders.nearPerfect.psnr).toBeGreaterThan(baseline.psnr + 10);
    }
    const first = scores.firstBatch;
    expect(first?.contextFrames.shape).toEqual([2, 3, 16, 16, 3]);
    expect(first?.renders.nearPerfect.shape).toEqual([2, 16, 16, 3]);
    expect(first?.baselines.nearestView.shape).toEqual([2, 16, 16, 3]);
    expect(first?.baselines.planeSweep?.shape).toEqual([2, 16, 16, 3]);
    disposeFirstBatch(first);

    // The first N scenes only, cutting a batch.
    const three = await scoreQueries(data, {
      mean,
      contextSize: 3,
      batchSize: 2,
      seed: 3,
      scenes: 3,
      renderers: { asMean: (batch) => tf.zerosLike(batch.target) },
    });
    expect(three.scenes).toBe(3);
    disposeFirstBatch(three.firstBatch);
    mean.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it("releases everything when a renderer fails", async () => {
    const mean = tf.zeros([16, 16, 3]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    let calls = 0;
    await expect(
      scoreQueries(data, {
        mean,
        contextSize: 3,
        batchSize: 2,
        seed: 3,
        renderers: {
          flaky: (batch) => {
            if (++calls === 2) throw new Error("render failed");
            return tf.zerosLike(batch.target);
          },
        },
      }),
    ).rejects.toThrow(/render failed/);
    expect(tf.memory().numTensors).toBe(before);
    mean.dispose();
  }, 60_000);

  it("scores objects and background where the dataset has object masks, and says so where not", async () => {
    const before = tf.memory().numTensors;
    const mean = await meanTrainingImage(data, { images: 24, seed: 1 });
    const masks = ObjectMasks.open(dataDir, await readDatasetInfo(dataDir, "rooms_ring_camera"), "test");
    // The query view with every object removed: what lies behind the objects, the target elsewhere.
    const emptyRoom = async (batch: SceneBatch) => {
      const [b, h, w] = batch.target.shape;
      const read = await (masks as ObjectMasks).queryMasks(batch.scenes);
      return tf.tidy(() => {
        const onObject = tf.broadcastTo(
          tf.reshape(tf.tensor(read.ids, [b, h, w, 1], "int32"), [b, h, w, 1]),
          [b, h, w, 3],
        );
        return tf.where(
          tf.greater(onObject, 0),
          tf.tensor4d(read.behind, [b, h, w, 3]),
          batch.target,
        ) as tf.Tensor4D;
      });
    };
    const options = { mean, contextSize: 3, batchSize: 2, seed: 3 };
    const scores = await scoreQueries(data, {
      ...options,
      renderers: { perfect: (batch) => tf.clone(batch.target), emptyRoom },
    });
    disposeFirstBatch(scores.firstBatch);
    await masks?.close();
    expect(scores.objectMasks).toBe(true);
    const { perfect, emptyRoom: empty } = scores.renders;
    expect(perfect.objects).toMatchObject({ iou: 1, objectPsnr: Infinity, backgroundPsnr: Infinity });
    expect(empty.objects?.iou).toBe(0);
    expect(empty.objects?.backgroundPsnr).toBe(Infinity);
    const average = scores.baselines.contextAverage.objects!;
    expect(average.iou).toBeLessThan(0.5);
    expect(average.objectPsnr).toBeLessThan(average.backgroundPsnr);

    // The same scenes without masks: the same scores, and none of objects.
    const plainDir = mkdtempSync(join(tmpdir(), "gqn-score-plain-"));
    try {
      await writeSyntheticDataset({ ...rooms, out: plainDir, objectMasks: false });
      const plain = await scoreQueries(
        { ...data, dataDir: plainDir },
        { ...options, renderers: { perfect: (batch) => tf.clone(batch.target) } },
      );
      disposeFirstBatch(plain.firstBatch);
      expect(plain.objectMasks).toBe(false);
      expect(plain.renders.perfect.objects).toBeUndefined();
      const { objects: _objects, ...withoutObjects } = scores.baselines.contextAverage;
      expect(plain.baselines.contextAverage).toEqual(withoutObjects);
    } finally {
      rmSync(plainDir, { recursive: true, force: true });
    }
    mean.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

describe("cameraOptics", () => {
  const spec = { frameSize: 64, views: 10, trainFiles: 1, testFiles: 1 };
  const notes = () => {
    const lines: string[] = [];
    return { lines, warn: (line: string) => lines.push(line) };
  };

  it("takes dataset.json's optics, else the published sets' assumed ones, under the overrides", () => {
    const own = { ...spec, name: "mine", fovDegrees: 45, depthRange: [0.5, 4] as const };
    expect(cameraOptics(own)).toEqual({ fovDegrees: 45, depthRange: [0.5, 4] });
    expect(cameraOptics(own, { fovDegrees: 30 })).toEqual({ fovDegrees: 30, depthRange: [0.5, 4] });
    expect(cameraOptics({ ...spec, name: "rooms_ring_camera" })).toEqual({
      fovDegrees: 50,
      depthRange: [0.1, 8.091],
    });
  });

  it("leaves the plane sweep out, with a note, where the optics are unknown or a gqn-synth set predates them", () => {
    const unknown = notes();
    expect(cameraOptics({ ...spec, name: "mine", fovDegrees: 45 }, {}, unknown.warn)).toBeUndefined();
    expect(unknown.lines).toEqual([
      'no plane sweep baseline: dataset "mine" declares no depthRange in its dataset.json; add them, or pass --fov and --depth-range.',
    ]);
    const old = notes();
    expect(
      cameraOptics({ ...spec, name: "rooms_ring_camera", synthetic: true }, {}, old.warn),
    ).toBeUndefined();
    expect(old.lines[0]).toMatch(/declares no fovDegrees or depthRange .*render it again with gqn-synth/);
    // The overrides stand in for what is missing.
    const overridden = { fovDegrees: 60, depthRange: [0.1, 8] as const };
    expect(cameraOptics({ ...spec, name: "rooms_ring_camera", synthetic: true }, overridden)).toEqual(
      overridden,
    );
  });

  it("throws for optics that are there but wrong, naming the dataset", () => {
    expect(() => cameraOptics({ ...spec, name: "mine", fovDegrees: 200, depthRange: [1, 2] })).toThrow(
      /field of view of "mine" must be in \(0, 180\)/,
    );
    expect(() => cameraOptics({ ...spec, name: "mine", fovDegrees: 60 }, { depthRange: [3, 2] })).toThrow(
      /depthRange of "mine" must be \[near, far\]/,
    );
  });
});
