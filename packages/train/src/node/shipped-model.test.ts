// The model the repository ships (examples/viewer/public/models/gqn-rooms) holds what its README
// claims: on fresh rooms test scenes its mean of 16 prior samples is well above the average of the
// context views, and its object pixels overlap the targets' more than that average's do. Shipping
// a model that stops at the room's colours (the previous one: +0.19 dB, IoU below the average's)
// fails here.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateCheckpoint } from "./evaluate-checkpoint.js";

const SHIPPED = fileURLToPath(
  new URL("../../../../examples/viewer/public/models/gqn-rooms", import.meta.url),
);
const dataset = "rooms_ring_camera";

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gqn-shipped-"));
  // Seed 7: scenes the model never trained on (it trained on seed 1's).
  await writeSyntheticDataset({
    out: dataDir,
    scene: dataset,
    trainScenes: 16,
    testScenes: 48,
    frameSize: 32,
    scenesPerFile: 16,
    seed: 7,
    workers: 0,
  });
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

describe("the shipped rooms model", () => {
  it("renders held-out rooms well above the context average, and places objects better than it", async () => {
    const before = tf.memory().numTensors;
    const report = await evaluateCheckpoint({
      modelDir: SHIPPED,
      dataDir,
      dataset,
      samples: 16,
      log: () => {},
    });
    expect(report.scenes).toBe(48);
    const model = report.predictiveMean;
    const average = report.baselines.contextAverage;
    // Measured: +1.8 dB and IoU 0.32 against 0.18 on 50 such scenes (docs/training.md).
    expect(model.psnr - average.psnr).toBeGreaterThan(1.2);
    expect(model.objects?.iou).toBeGreaterThan((average.objects?.iou ?? 1) + 0.08);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
