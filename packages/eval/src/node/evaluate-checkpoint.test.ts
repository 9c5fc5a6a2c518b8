// gqn-eval on a real tiny GQN's checkpoint (untrained: the figures are what it renders): the table
// and the JSON report the same scores, the baselines are there, and a missing checkpoint is one
// line.
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/capture-io.js";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { writeCheckpoint } from "../../test/write-checkpoint.js";
import { evaluateCheckpoint } from "./evaluate-checkpoint.js";
import { runEvalCli } from "./run-eval-cli.js";
import { runRenderCli } from "./run-render-cli.js";

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
let modelDir: string;
beforeAll(async () => {
  data = await syntheticDataset({ trainScenes: 8, testScenes: 5 });
  root = await mkdtemp(join(tmpdir(), "gqn-eval-"));
  modelDir = join(root, "run");
  await writeCheckpoint(modelDir, { step: 2, dataset: data.dataset });
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

  it("scores every test scene: ELBO, one sample, the mean of N and four baselines, as JSON and as a table", async () => {
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
    expect(Object.keys(report.baselines).sort()).toEqual([
      "contextAverage",
      "meanImage",
      "nearestView",
      "planeSweep",
    ]);
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

    // The plane sweep's optics as flags (here the dataset's own).
    const optics = ["--fov", "60", "--depth-range", "0.1,8.091"];
    const table = await evalCli([
      ...args(),
      "--samples",
      "3",
      "--batch-size",
      "2",
      "--scenes",
      "2",
      ...optics,
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/on .* test: 2 scenes, K 3/);
    expect(table.stdout).toMatch(/GQN, mean of 3 prior samples +\d+\.\d\d dB/);
    expect(table.stdout).toMatch(/baseline: nearest context view/);
    expect(table.stdout).toMatch(
      /\n {2}baseline: plane sweep +\d+\.\d\d dB .*\n(.|\n)* {2}baseline: plane sweep +\d+\.\d\d dB/,
    );
    expect(table.stdout).toMatch(/objects +background +IoU +vs ctx avg\n/);
    expect(table.stdout).toMatch(
      /\n {2}baseline: context average +\d+\.\d\d dB +\d+\.\d\d dB +[01]\.\d{3} +\+0\.00\n/,
    );
  }, 120_000);

  it("another dataset and frame size: a note each; a partial download: one [gqn] note", async () => {
    const small = await syntheticDataset({ trainScenes: 8, testScenes: 2, frameSize: 16 });
    try {
      // The same scenes under another name, at 16 px, with one of the two train shards missing.
      const other = join(small.dataDir, "other");
      await cp(join(small.dataDir, small.dataset), other, { recursive: true });
      const info = JSON.parse(await readFile(join(other, "dataset.json"), "utf8"));
      await writeFile(join(other, "dataset.json"), JSON.stringify({ ...info, name: "other" }));
      const shards = (await readdir(join(other, "train"))).sort();
      await rm(join(other, "train", shards[0] as string));
      const result = await evalCli([
        ...["--model-dir", modelDir, "--data-dir", small.dataDir, "--dataset", "other"],
        ...["--split", "train", "--scenes", "2", "--samples", "1", "--batch-size", "2"],
      ]);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toContain(`[gqn] the checkpoint was trained on ${data.dataset}; scoring on other.`);
      expect(lines).toContain("[gqn] resizing 16 px frames to the model's 32 px.");
      expect(lines.filter((line) => line.includes("(a partial download)"))).toEqual([
        expect.stringMatching(/^\[gqn\] using 1 of 2 train shards of "other"/),
      ]);
    } finally {
      await small.cleanup();
    }
  }, 120_000);

  it("a checkpoint with NaN weights: gqn-eval and gqn-render refuse it in one line", async () => {
    const broken = join(root, "nan", "ckpt-2");
    await cp(join(modelDir, "checkpoints", "ckpt-2"), broken, { recursive: true });
    const weights = await readFile(join(broken, "weights.bin"));
    new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4).fill(Number.NaN);
    await writeFile(join(broken, "weights.bin"), weights);
    const data_ = ["--data-dir", data.dataDir, "--dataset", data.dataset];
    const scored = await evalCli(["--model-dir", broken, ...data_, "--scenes", "2", "--samples", "1"]);
    expect(scored.code).toBe(1);
    expect(scored.stdout).toBe("");
    expect(scored.stderr).toMatch(
      /^gqn-eval: evaluateCheckpoint: .*ckpt-2 holds non-finite weights \(.*: \d+ of \d+ values\): .*pass an older one/,
    );
    expect(scored.stderr.trim().split("\n")).toHaveLength(1);
    const render = captureIo();
    const out = join(root, "nan-render");
    expect(
      await runRenderCli(["--model-dir", broken, ...data_, "--out", out, "--scenes", "1"], render.io),
    ).toBe(1);
    expect(render.out.stderr).toMatch(/^gqn-render: renderCheckpoint: .*holds non-finite weights/);
    expect(render.out.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it("a missing checkpoint or a bad flag: one line and a non-zero exit", async () => {
    const missing = await evalCli(["--model-dir", join(root, "nothing"), ...args().slice(2)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gqn-eval: .*no checkpoint in .*nothing/);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const noData = await evalCli([
      ...args().slice(0, 2),
      "--data-dir",
      join(root, "nope"),
      ...args().slice(4),
    ]);
    expect(noData.stderr).toBe(
      `gqn-eval: evaluateCheckpoint: dataDir ${join(root, "nope")} is not a directory.\n`,
    );
    const bad = await evalCli([...args(), "--samples", "0"]);
    expect(bad.code).toBe(2);
  });
});
