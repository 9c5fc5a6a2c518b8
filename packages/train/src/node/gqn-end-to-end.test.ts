// The loop on the real GQN (tiny preset, 32 px, batch 2, a few steps on wasm): the ELBO falls,
// a run split in two and resumed equals an unbroken one, and @gqn/eval renders the checkpoints.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint, renderCheckpoint } from "@gqn/eval/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { summaryTags } from "../../test/event-file-reader.js";
import { loadTrainingCheckpoint } from "./checkpoint.js";
import type { LogRecord } from "./run-log.js";
import { train } from "./train.js";

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  data = await syntheticDataset({ trainScenes: 16, testScenes: 4 });
  root = await mkdtemp(join(tmpdir(), "gqn-e2e-"));
});
afterAll(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

const options = () => ({
  dataDir: data.dataDir,
  dataset: data.dataset,
  preset: "tiny" as const,
  batchSize: 2,
  contextSize: 3,
  dataWorkers: 0,
  renderEvery: 0,
  log: () => {},
});

describe("train on the tiny GQN", () => {
  it("lowers the test ELBO within a few steps, without leaking tensors", async () => {
    const records: LogRecord[] = [];
    const before = tf.memory().numTensors;
    const result = await train({
      ...options(),
      modelDir: join(root, "falls"),
      steps: 12,
      evalEvery: 12,
      // A constant, larger rate than the paper's start, so that a dozen steps show.
      training: { learningRate: { start: 2e-3, end: 2e-3, steps: 1 } },
      onLog: (r) => records.push(r),
    });
    expect(tf.memory().numTensors).toBe(before);
    const evals = records.filter((r) => r.split === "test");
    expect(evals.map((r) => r.step)).toEqual([0, 12]);
    const [first, last] = evals as [LogRecord, LogRecord];
    expect(last.elbo).toBeLessThan(first.elbo);
    expect(result.lastEval?.elbo).toBe(last.elbo);
    expect(Number.isFinite(result.lastEval?.psnr)).toBe(true);
    // The dataset has object masks: every evaluation scores a prior render on its objects too.
    for (const r of evals) {
      expect(Number.isFinite(r.objectPsnr) && Number.isFinite(r.backgroundPsnr)).toBe(true);
      expect(r.objectIou).toBeGreaterThanOrEqual(0);
      expect(r.objectIou).toBeLessThanOrEqual(1);
    }
  });

  it("logs the posterior's reconstruction beside the prior's render among the TensorBoard images", async () => {
    const modelDir = join(root, "images");
    await train({ ...options(), modelDir, steps: 1, evalEvery: 1, renderEvery: 1, checkpointEvery: 0 });
    const [events] = await readdir(join(modelDir, "tensorboard"));
    const tags = summaryTags(await readFile(join(modelDir, "tensorboard", events as string)));
    const images = ["test/context_target_prediction", "test/target_prior_posterior"];
    // Grids at step 0 and step 1: each time the prior's grid, then target | prior | posterior.
    expect(tags.filter((tag) => images.includes(tag))).toEqual([...images, ...images]);
  });

  it("resumes exactly: 2 + 2 steps give the weights, Adam state and schedules of 4", async () => {
    const common = { ...options(), evalEvery: 0, checkpointEvery: 0, logEvery: 1 };
    const logA: LogRecord[] = [];
    const logB: LogRecord[] = [];
    await train({ ...common, modelDir: join(root, "unbroken"), steps: 4, onLog: (r) => logA.push(r) });
    await train({ ...common, modelDir: join(root, "split"), steps: 2, onLog: (r) => logB.push(r) });
    await train({
      ...common,
      modelDir: join(root, "split"),
      steps: 4,
      resume: true,
      onLog: (r) => logB.push(r),
    });
    const pick = (log: LogRecord[]) =>
      log
        .filter((r) => r.split === "train")
        .map(({ step, lr, sigma, elbo, nll, kl }) => ({ step, lr, sigma, elbo, nll, kl }));
    expect(pick(logB)).toEqual(pick(logA));
    const a = await loadTrainingCheckpoint(join(root, "unbroken"));
    const b = await loadTrainingCheckpoint(join(root, "split"));
    expect(b.step).toBe(4);
    expect(b.state.dataState).toEqual(a.state.dataState);
    expect(b.state.rngState).toBe(a.state.rngState);
    const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
    expect(values(b.model.getWeights())).toEqual(values(a.model.getWeights()));
    expect(values((b.optimizerState ?? []).map((w) => w.tensor))).toEqual(
      values((a.optimizerState ?? []).map((w) => w.tensor)),
    );
    for (const c of [a, b]) {
      c.model.dispose();
      for (const w of c.optimizerState ?? []) w.tensor.dispose();
    }
  });

  it("stops on a non-finite loss naming the step and the term, keeping the last good checkpoint", async () => {
    const modelDir = join(root, "nan");
    const before = tf.memory().numTensors;
    // Adam moves every weight by about the learning rate: at 1e30 the next forward pass overflows.
    const error = await train({
      ...options(),
      modelDir,
      steps: 10,
      evalEvery: 0,
      checkpointEvery: 1,
      training: { learningRate: { start: 1e30, end: 1e30, steps: 1 } },
    }).catch((e: unknown) => e);
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toMatchObject({ code: "NON_FINITE" });
    const message = (error as Error).message;
    expect(message).toMatch(/^train: step (\d+) was not applied: .*step \1\b.*(NLL|KL|loss|gradient)/i);
    const loaded = await loadCheckpoint(modelDir);
    expect(message).toContain(`the last good checkpoint is ${loaded.path}.`);
    expect(message).toContain(`step ${loaded.step + 1} was not applied`);
    expect(message).toContain(`Nothing was saved after step ${loaded.step};`);
    loaded.model.dispose();
  });

  it("renderCheckpoint renders its test scenes and an orbit from the checkpoint", async () => {
    const out = join(root, "renders");
    const rendered = await renderCheckpoint({
      modelDir: join(root, "unbroken"),
      dataDir: data.dataDir,
      dataset: data.dataset,
      out,
      scenes: 2,
      orbit: 3,
      log: () => {},
    });
    expect(rendered).toMatchObject({ step: 4, scenes: [expect.any(String), expect.any(String)] });
    expect(rendered.orbitFrames).toHaveLength(3);
    expect((await readdir(out)).sort()).toEqual([
      "orbit",
      "orbit.gif",
      "scene-000.png",
      "scene-001.png",
      "scenes.png",
    ]);
  });
});

describe("train the tiny GQN with an epipolar reader", () => {
  const epipolar = () => ({ ...options(), model: { reader: { type: "epipolar" as const } } });

  it("takes its optics from dataset.json, resumes exactly, and renderCheckpoint renders from it", async () => {
    const common = { ...epipolar(), evalEvery: 0, checkpointEvery: 0, logEvery: 1 };
    const logA: LogRecord[] = [];
    const logB: LogRecord[] = [];
    const before = tf.memory().numTensors;
    await train({ ...common, modelDir: join(root, "epi-unbroken"), steps: 4, onLog: (r) => logA.push(r) });
    expect(tf.memory().numTensors).toBe(before);
    await train({ ...common, modelDir: join(root, "epi-split"), steps: 2, onLog: (r) => logB.push(r) });
    // The preset without the reader asks for another model: refused, naming the reader.
    await expect(
      train({ ...common, model: {}, modelDir: join(root, "epi-split"), steps: 4, resume: true }),
    ).rejects.toThrow(
      /holds a pool 32, L4 C32 Z8, epipolar reader, 32 px model, but .* ask for a pool 32, L4 C32 Z8, 32 px one/,
    );
    await train({
      ...common,
      modelDir: join(root, "epi-split"),
      steps: 4,
      resume: true,
      onLog: (r) => logB.push(r),
    });
    const pick = (log: LogRecord[]) =>
      log.filter((r) => r.split === "train").map(({ step, lr, sigma, elbo }) => ({ step, lr, sigma, elbo }));
    expect(pick(logB)).toEqual(pick(logA));
    const a = await loadTrainingCheckpoint(join(root, "epi-unbroken"));
    const b = await loadTrainingCheckpoint(join(root, "epi-split"));
    // gqn-synth's Shepard-Metzler: 35 degrees, and the depth range it wrote.
    const dataset = JSON.parse(await readFile(join(data.dataDir, data.dataset, "dataset.json"), "utf8"));
    expect((a.state.gqnConfig as { reader?: object }).reader).toMatchObject({
      type: "epipolar",
      fovDegrees: 35,
      near: dataset.depthRange[0],
      far: dataset.depthRange[1],
    });
    const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
    expect(values(b.model.getWeights())).toEqual(values(a.model.getWeights()));
    expect(values((b.optimizerState ?? []).map((w) => w.tensor))).toEqual(
      values((a.optimizerState ?? []).map((w) => w.tensor)),
    );
    for (const c of [a, b]) {
      c.model.dispose();
      for (const w of c.optimizerState ?? []) w.tensor.dispose();
    }
    const rendered = await renderCheckpoint({
      modelDir: join(root, "epi-unbroken"),
      dataDir: data.dataDir,
      dataset: data.dataset,
      out: join(root, "epi-renders"),
      scenes: 2,
      orbit: 2,
      log: () => {},
    });
    expect(rendered).toMatchObject({ step: 4, scenes: [expect.any(String), expect.any(String)] });
    expect(rendered.orbitFrames).toHaveLength(2);
  });
});
