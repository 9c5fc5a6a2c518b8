// gqn-eval on a real tiny GQN trained for two steps: the table and the JSON report the same
// scores, the baselines are there, and a missing checkpoint is one line.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo } from "../../test/capture-io.js";
import { syntheticDataset } from "../../test/synthetic-data.js";
import { evaluateCheckpoint } from "./evaluate-checkpoint.js";
import { runEvalCli } from "./run-eval-cli.js";
import { train } from "./train.js";

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
let modelDir: string;
beforeAll(async () => {
  data = await syntheticDataset({ trainScenes: 8, testScenes: 5 });
  root = await mkdtemp(join(tmpdir(), "gqn-eval-"));
  modelDir = join(root, "run");
  await train({
    dataDir: data.dataDir,
    dataset: data.dataset,
    modelDir,
    preset: "tiny",
    batchSize: 2,
    contextSize: 3,
    steps: 2,
    evalEvery: 0,
    renderEvery: 0,
    dataWorkers: 0,
    log: () => {},
  });
}, 120_000);
afterAll(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

async function evalCli(args: string[]) {
  const { out, io } = captureIo();
  const code = await runEvalCli(args, io);
  return { code, ...out };
}

describe("gqn-eval", () => {
  const args = () => ["--model-dir", modelDir, "--data-dir", data.dataDir, "--dataset", data.dataset];

  it("scores every test scene: ELBO, one sample, the mean of N and three baselines, as JSON and as a table", async () => {
    const before = tf.memory().numTensors;
    const json = await evalCli([...args(), "--samples", "3", "--batch-size", "2", "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ step: 2, split: "test", scenes: 5, contextSize: 3 });
    expect(report.predictiveMean.samples).toBe(3);
    for (const score of [report.model, report.predictiveMean, ...Object.values(report.baselines)]) {
      const { mse, psnr, ssim } = score as { mse: number; psnr: number; ssim: number };
      expect(psnr).toBeCloseTo(-10 * Math.log10(mse), 6);
      expect(ssim).toBeGreaterThan(-1);
      expect(ssim).toBeLessThanOrEqual(1);
    }
    expect(Object.keys(report.baselines).sort()).toEqual(["contextAverage", "meanImage", "nearestView"]);
    // The synthetic data have object masks: every score has its object scores.
    expect(report.objectMasks).toBe(true);
    for (const score of [report.model, report.predictiveMean, ...Object.values(report.baselines)]) {
      const { objects } = score as { objects: { iou: number; objectPsnr: number; backgroundPsnr: number } };
      expect(objects.iou).toBeGreaterThanOrEqual(0);
      expect(objects.iou).toBeLessThanOrEqual(1);
      expect(objects.objectPsnr).toBeGreaterThan(0);
      expect(objects.backgroundPsnr).toBeGreaterThan(0);
    }
    expect(report.elbo.nats).toBeGreaterThan(0);
    // The library call with the same settings reproduces the CLI's figures.
    const again = await evaluateCheckpoint({
      modelDir,
      dataDir: data.dataDir,
      dataset: data.dataset,
      samples: 3,
      batchSize: 2,
    });
    expect(again.predictiveMean.psnr).toBeCloseTo(report.predictiveMean.psnr, 10);
    expect(again.elbo.nats).toBeCloseTo(report.elbo.nats, 6);
    expect(tf.memory().numTensors).toBe(before);

    const table = await evalCli([...args(), "--samples", "3", "--batch-size", "2", "--scenes", "2"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/on .* test: 2 scenes, K 3/);
    expect(table.stdout).toMatch(/GQN, mean of 3 prior samples +\d+\.\d\d dB/);
    expect(table.stdout).toMatch(/baseline: nearest context view/);
    expect(table.stdout).toMatch(/objects +background +IoU +vs ctx avg\n/);
    expect(table.stdout).toMatch(
      /\n {2}baseline: context average +\d+\.\d\d dB +\d+\.\d\d dB +[01]\.\d{3} +\+0\.00\n/,
    );
  }, 120_000);

  it("a missing checkpoint or a bad flag: one line and a non-zero exit", async () => {
    const missing = await evalCli([
      "--model-dir",
      join(root, "nothing"),
      "--data-dir",
      data.dataDir,
      "--dataset",
      data.dataset,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gqn-eval: .*no checkpoint in .*nothing/);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const bad = await evalCli([...args(), "--samples", "0"]);
    expect(bad.code).toBe(2);
  });
});
