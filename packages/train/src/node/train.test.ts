import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listCheckpoints, loadCheckpoint } from "@gqn/eval/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { TINY_GQN } from "../../test/tiny-gqn.js";
import { loadTrainingCheckpoint } from "./checkpoint.js";
import type { LogRecord } from "./run-log.js";
import { stopOnSignals } from "./stop-on-signals.js";
import { train } from "./train.js";

// The loop on the smallest GQN (milliseconds a step); gqn-end-to-end.test.ts trains the tiny preset.

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  data = await syntheticDataset({ frameSize: 16 });
  root = await mkdtemp(join(tmpdir(), "gqn-train-"));
});
afterAll(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

const base = () => ({
  dataDir: data.dataDir,
  dataset: data.dataset,
  preset: "tiny" as const,
  model: TINY_GQN,
  batchSize: 2,
  dataWorkers: 0,
  log: () => {},
});

describe("train", () => {
  it("says that the step-0 evaluation is running before it ends", async () => {
    const lines: string[] = [];
    const records: LogRecord[] = [];
    await train({
      ...base(),
      modelDir: join(root, "eval-progress"),
      steps: 1,
      evalEvery: 1,
      evalBatches: 2,
      renderEvery: 0,
      log: (line) => lines.push(line),
      onLog: (r) => {
        if (r.split === "test" && r.step === 0) lines.push("<step-0 record>");
        records.push(r);
      },
    });
    const announced = lines.indexOf("[gqn] evaluating step 0 on 2 test batches...");
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(announced).toBeLessThan(lines.indexOf("<step-0 record>"));
  });

  it("trains, logs, evaluates, renders grids, writes TensorBoard events and checkpoints", async () => {
    const modelDir = join(root, "run");
    const records: LogRecord[] = [];
    const before = tf.memory().numTensors;
    const result = await train({
      ...base(),
      modelDir,
      steps: 6,
      logEvery: 1,
      evalEvery: 3,
      renderEvery: 3,
      checkpointEvery: 2,
      keepCheckpoints: 2,
      onLog: (r) => records.push(r),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({
      step: 6,
      stoppedBy: "steps",
      checkpoint: join(modelDir, "checkpoints", "ckpt-6"),
    });
    expect(result.lastEval?.step).toBe(6);
    expect(Number.isFinite(result.lastEval?.psnr)).toBe(true);
    const lines = (await readFile(join(modelDir, "log.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(JSON.parse(JSON.stringify(records)));
    expect(lines.filter((l) => l.split === "train").map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines.filter((l) => l.split === "test").map((l) => l.step)).toEqual([0, 3, 6]);
    for (const l of lines) {
      for (const key of ["step", "elbo", "nll", "kl", "lr", "sigma", "stepMs"])
        expect(typeof l[key]).toBe("number");
    }
    expect(lines.find((l) => l.split === "test")).toHaveProperty("psnr");
    expect(await readdir(join(modelDir, "images"))).toEqual([
      "step-00000000.png",
      "step-00000003.png",
      "step-00000006.png",
    ]);
    expect((await readdir(join(modelDir, "tensorboard")))[0]).toMatch(/^events\.out\.tfevents\./);
    expect((await listCheckpoints(modelDir)).map((c) => c.step)).toEqual([4, 6]);
    const loaded = await loadCheckpoint(modelDir);
    expect(loaded.state).toMatchObject({ step: 6, dataset: data.dataset, seed: 1 });
    expect(loaded.state.dataState).toMatchObject({ batches: 6 });
    loaded.model.dispose();
  });

  it("resumes where it stopped: a run split in two equals an unbroken run", async () => {
    const unbroken = join(root, "unbroken");
    const split = join(root, "split");
    const common = { ...base(), evalEvery: 0, renderEvery: 0, checkpointEvery: 0, logEvery: 1 };
    const logA: LogRecord[] = [];
    const logB: LogRecord[] = [];
    await train({ ...common, modelDir: unbroken, steps: 4, onLog: (r) => logA.push(r) });
    await train({ ...common, modelDir: split, steps: 2, onLog: (r) => logB.push(r) });
    await expect(train({ ...common, modelDir: split, steps: 4 })).rejects.toThrow(
      /already holds a checkpoint .*resume/,
    );
    const resumed = await train({
      ...common,
      modelDir: split,
      steps: 4,
      resume: true,
      onLog: (r) => logB.push(r),
    });
    expect(resumed.step).toBe(4);

    const a = await loadTrainingCheckpoint(unbroken);
    const b = await loadTrainingCheckpoint(split);
    expect(b.step).toBe(a.step);
    // Schedules: the same lr and sigma at every step; the losses too, since the data order and
    // the latent noise carry on.
    const trainOnly = (log: LogRecord[]) =>
      log.filter((r) => r.split === "train").map(({ step, lr, sigma, elbo }) => ({ step, lr, sigma, elbo }));
    expect(trainOnly(logB)).toEqual(trainOnly(logA));
    expect(b.state.dataState).toEqual(a.state.dataState);
    expect(b.state.rngState).toEqual(a.state.rngState);
    // Weights and Adam moments (and its iteration count and bias-correction powers) are identical.
    expect(b.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      a.model.getWeights().map((w) => Array.from(w.dataSync())),
    );
    // Slot names carry the per-process unique layer names of tfjs: compared by position.
    expect(b.optimizerState?.length).toBe(a.optimizerState?.length);
    for (const [i, w] of (a.optimizerState ?? []).entries()) {
      expect(Array.from(b.optimizerState?.[i]?.tensor.dataSync() ?? [])).toEqual(
        Array.from(w.tensor.dataSync()),
      );
    }
    for (const c of [a, b]) {
      c.model.dispose();
      for (const w of c.optimizerState ?? []) w.tensor.dispose();
    }
  });

  it("stops cleanly on a non-finite loss, naming the step and the term, and keeps the last good checkpoint", async () => {
    const modelDir = join(root, "nan");
    const before = tf.memory().numTensors;
    // A learning rate of 1e30 blows the weights up after the first update; the next loss overflows.
    const run = train({
      ...base(),
      modelDir,
      steps: 10,
      checkpointEvery: 1,
      evalEvery: 0,
      renderEvery: 0,
      training: { learningRate: { start: 1e30, end: 1e30, steps: 1 } },
    });
    await expect(run).rejects.toMatchObject({ code: "NON_FINITE" });
    await expect(run).rejects.toThrow(
      /^train: step (\d+) was not applied: Trainer\.step: step \1: the (NLL|KL) term is .*\. Nothing was saved after step \d+; the last good checkpoint is .*ckpt-\d+\.$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const steps = (await listCheckpoints(modelDir)).map((c) => c.step);
    const loaded = await loadCheckpoint(modelDir);
    expect(loaded.step).toBe(Math.max(...steps));
    const error = await run.catch((e: Error) => e.message);
    expect(error).toContain(
      `Nothing was saved after step ${loaded.step}; the last good checkpoint is ${loaded.path}.`,
    );
    loaded.model.dispose();
  });

  it("checkpoints and stops on SIGINT (stopOnSignals), on abort and when the time budget is spent", async () => {
    const sigintsBefore = process.listenerCount("SIGINT");
    const said: string[] = [];
    const signals = stopOnSignals((line) => said.push(line));
    const onSigint = await train({
      ...base(),
      modelDir: join(root, "sigint"),
      steps: 50,
      logEvery: 1,
      evalEvery: 0,
      renderEvery: 0,
      signal: signals.signal,
      onLog: (r) => {
        if (r.step === 2) process.emit("SIGINT");
      },
    });
    signals.dispose();
    expect(onSigint).toMatchObject({ step: 2, stoppedBy: "abort" });
    expect(signals.received).toBe("SIGINT");
    expect(said[0]).toMatch(/SIGINT: stopping after this step and saving a checkpoint/);
    // train() itself installs no handler; the helper's are gone after dispose.
    expect(process.listenerCount("SIGINT")).toBe(sigintsBefore);
    expect((await listCheckpoints(join(root, "sigint"))).map((c) => c.step)).toEqual([2]);

    const controller = new AbortController();
    const onAbort = await train({
      ...base(),
      modelDir: join(root, "abort"),
      steps: 50,
      logEvery: 1,
      evalEvery: 0,
      onLog: (r) => {
        if (r.step === 1) controller.abort();
      },
      signal: controller.signal,
    });
    expect(onAbort).toMatchObject({ step: 1, stoppedBy: "abort" });

    const timed = await train({
      ...base(),
      modelDir: join(root, "timed"),
      steps: 1000,
      maxMinutes: 1e-6,
      evalEvery: 0,
    });
    expect(timed.stoppedBy).toBe("time");
    expect(timed.checkpoint).toBe(join(root, "timed", "checkpoints", `ckpt-${timed.step}`));
  });
});
