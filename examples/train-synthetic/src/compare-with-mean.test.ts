import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareWithMeanImage, meanTrainingImage } from "./compare-with-mean.js";

const dataDir = mkdtempSync(join(tmpdir(), "gqn-compare-"));
const data = { dataDir, dataset: "shepard_metzler_5_parts", workers: 0 };

beforeAll(async () => {
  await writeSyntheticDataset({
    out: dataDir,
    scene: "shepard_metzler_5_parts",
    trainScenes: 12,
    testScenes: 5,
    frameSize: 16,
    scenesPerFile: 6,
    workers: 0,
  });
}, 60_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the mean-image baseline", () => {
  it("scores the mean image exactly as the baseline, and a perfect renderer above it", async () => {
    const before = tf.memory().numTensors;
    const mean = await meanTrainingImage(data, { images: 24, seed: 1 });
    expect(mean.shape).toEqual([16, 16, 3]);
    const options = { mean, contextSize: 3, batchSize: 2, seed: 3 };

    const asMean = await compareWithMeanImage(data, {
      ...options,
      render: (batch) =>
        tf.tidy(() => tf.broadcastTo(tf.expandDims(mean, 0), batch.target.shape) as tf.Tensor4D),
    });
    expect(asMean.scenes).toBe(5);
    expect(asMean.model.mse).toBeCloseTo(asMean.meanImage.mse, 10);
    expect(asMean.meanImage.psnr).toBeGreaterThan(0);

    // A renderer that adds noise to the target beats the mean on these mostly black frames.
    const nearPerfect = await compareWithMeanImage(data, {
      ...options,
      render: (batch) =>
        tf.tidy(
          () =>
            tf.add(
              batch.target,
              tf.randomUniform(batch.target.shape, -0.01, 0.01, "float32", 5),
            ) as tf.Tensor4D,
        ),
    });
    expect(nearPerfect.model.psnr).toBeGreaterThan(nearPerfect.meanImage.psnr + 10);
    expect(nearPerfect.meanImage.mse).toBeCloseTo(asMean.meanImage.mse, 10);

    const first = nearPerfect.firstBatch;
    expect(first?.contextFrames.shape).toEqual([2, 3, 16, 16, 3]);
    expect(first?.prediction.shape).toEqual([2, 16, 16, 3]);
    for (const result of [asMean, nearPerfect]) {
      const f = result.firstBatch;
      if (f) tf.dispose([f.contextFrames, f.target, f.prediction, f.mean]);
    }
    mean.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
