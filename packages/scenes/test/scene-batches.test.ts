// End to end: a synthetic dataset through @gqn/data's training reader. The (query pose, target) pairs
// that training sees must be the renderer's: rendering the scene from the camera the pose describes
// (yaw and pitch recovered from their sines and cosines) and storing it as the writer does gives the
// target.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createSceneBatches, decodeJpeg, encodeJpeg } from "@gqn/data/node";
import { afterAll, describe, expect, it } from "vitest";
import { generateScene, sceneSeed } from "../src/generate-scene.js";
import { renderView } from "../src/render-scene.js";
import { writeSyntheticDataset } from "../src/write-synthetic-dataset.js";

const root = mkdtempSync(join(tmpdir(), "gqn-scenes-batches-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Mean absolute difference between float [0, 1] pixels and RGB bytes, in bytes. */
function meanAbsDiff(floats: ArrayLike<number>, bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += Math.abs(floats[i]! * 255 - bytes[i]!);
  return sum / bytes.length;
}

describe("a synthetic dataset through createSceneBatches", () => {
  it("gives batches at the dataset.json frame size whose query pose re-renders to the target", async () => {
    const frameSize = 16;
    const scenesPerFile = 2;
    const seed = 4;
    await writeSyntheticDataset({
      out: root,
      scene: "shepard_metzler_5_parts",
      trainScenes: 2,
      testScenes: 4,
      frameSize,
      scenesPerFile,
      seed,
      workers: 0,
    });
    const batches = createSceneBatches({
      dataDir: root,
      dataset: "shepard_metzler_5_parts",
      split: "test",
      batchSize: 2,
      contextSize: 3,
      workers: 0,
      repeat: false,
    });
    let scenes = 0;
    try {
      expect(await batches.info()).toMatchObject({ frameSize, views: 15, trainFiles: 1, testFiles: 2 });
      for await (const batch of batches) {
        expect(batch.contextFrames.shape).toEqual([2, 3, frameSize, frameSize, 3]);
        expect(batch.contextPoses.shape).toEqual([2, 3, 7]);
        expect(batch.queryPose.shape).toEqual([2, 7]);
        expect(batch.target.shape).toEqual([2, frameSize, frameSize, 3]);
        const poses = batch.queryPose.arraySync();
        const contextPoses = batch.contextPoses.arraySync();
        const targets = batch.target.dataSync();
        const pixels = frameSize * frameSize * 3;
        batch.scenes.forEach((where, b) => {
          // <i>-of-<n>.tfrecord holds test scenes (i - 1) * scenesPerFile + record.
          const file = Number.parseInt(basename(where.file), 10);
          const index = (file - 1) * scenesPerFile + where.record;
          const { scene } = generateScene("shepard_metzler_5_parts", sceneSeed(seed, "test", index));
          const toCamera = (p: number[]) => [
            p[0]!,
            p[1]!,
            p[2]!,
            Math.atan2(p[3]!, p[4]!),
            Math.atan2(p[5]!, p[6]!),
          ];
          const target = targets.subarray(b * pixels, (b + 1) * pixels);
          // Rendered again and stored as the writer stores it (quality 90), it decodes to the target.
          const stored = (camera: number[]) =>
            decodeJpeg(encodeJpeg(renderView(scene, camera, { frameSize }), frameSize, frameSize, 90)).data;
          expect(meanAbsDiff(target, stored(toCamera(poses[b]!)))).toBeLessThan(0.01);
          // A context view's camera sees something else (the query is never a context view).
          expect(meanAbsDiff(target, stored(toCamera(contextPoses[b]![0]!)))).toBeGreaterThan(4);
          scenes++;
        });
        batch.dispose();
      }
    } finally {
      await batches.close();
    }
    expect(scenes).toBe(4);
  });
});
