// Data-parallel training of the real GQN (tiny preset): replicas on worker threads rebuilt from
// dist/gqn-replica.js give the gradients of one thread, and train({ workers }) runs the loop.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "@gqn/backend";
import { createDataParallel } from "@gqn/backend/node";
import { createSceneBatches } from "@gqn/data/node";
import { loadCheckpoint } from "@gqn/eval/node";
import { GqnModel, getPreset } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { type GqnReplicaConfig, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";
import type { LogRecord } from "./run-log.js";
import { train } from "./train.js";

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
const execArgv = process.execArgv;
beforeAll(async () => {
  // Worker threads inherit the test process's flags, and vitest adds `--conditions @gqn/source`
  // (tests read src/): plain Node cannot load .ts, so the workers load the built dist/ instead.
  process.execArgv = execArgv.filter((arg, i) => arg !== "@gqn/source" && execArgv[i + 1] !== "@gqn/source");
  await initBackend({ backend: "wasm", log: () => {} });
  data = await syntheticDataset({ trainScenes: 8, testScenes: 4 });
  root = await mkdtemp(join(tmpdir(), "gqn-dp-"));
});
afterAll(async () => {
  process.execArgv = execArgv;
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

async function firstBatch(batchSize: number) {
  const batches = createSceneBatches({
    dataDir: data.dataDir,
    dataset: data.dataset,
    split: "train",
    batchSize,
    contextSize: 3,
    seed: 4,
    workers: 0,
  });
  const { value } = await batches.next();
  await batches.close();
  if (!value) throw new Error("no batch");
  return value;
}

describe("data-parallel GQN", () => {
  it("2 worker replicas give the gradients of one thread running the same shards", async () => {
    const config = getPreset("tiny").model;
    const model = GqnModel.create(config, { seed: 5 });
    const replica = gqnReplica(model);
    // One thread, micro-batches of 2 = the shards (offsets 0 and 2) the 2 replicas get.
    const alone = await createDataParallel({ replicaModule: gqnReplicaModule(), replica, microBatchSize: 2 });
    const pair = await createDataParallel({
      workers: 2,
      replicaModule: gqnReplicaModule(),
      replicaConfig: { gqn: config, seed: 5 } satisfies GqnReplicaConfig,
      replica,
    });
    const batch = await firstBatch(4);
    try {
      const inputs = {
        contextFrames: batch.contextFrames,
        contextPoses: batch.contextPoses,
        queryPose: batch.queryPose,
        target: batch.target,
      };
      const context = { sigma: 0.9, seed: 77 };
      const one = await alone.computeGradients(inputs, context);
      const two = await pair.computeGradients(inputs, context);
      // Up to float summation order (here they come out identical).
      expect(Math.abs(two.loss - one.loss) / Math.abs(one.loss)).toBeLessThan(1e-5);
      expect(Math.abs((two.metrics.nll as number) - (one.metrics.nll as number))).toBeLessThan(1e-2);
      expect(Math.abs((two.metrics.kl as number) - (one.metrics.kl as number))).toBeLessThan(1e-3);
      expect(one.loss).toBeCloseTo((one.metrics.nll as number) + (one.metrics.kl as number), 2);
      let worst = 0;
      let scale = 0;
      for (const [name, g] of Object.entries(one.grads)) {
        const a = g.dataSync();
        const b = (two.grads[name] as tf.Tensor).dataSync();
        a.forEach((v, i) => {
          scale = Math.max(scale, Math.abs(v));
          worst = Math.max(worst, Math.abs(v - (b[i] as number)));
        });
      }
      expect(Object.keys(two.grads)).toEqual(Object.keys(one.grads));
      expect(scale).toBeGreaterThan(0);
      expect(worst / scale).toBeLessThan(1e-4);
      tf.dispose([...Object.values(one.grads), ...Object.values(two.grads)]);
    } finally {
      batch.dispose();
      await alone.dispose();
      await pair.dispose();
      model.dispose();
    }
  }, 120_000);

  it("train({ workers: 2, microBatchSize: 1 }) trains, logs finite terms, leaks nothing and checkpoints", async () => {
    const records: LogRecord[] = [];
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const result = await train({
      dataDir: data.dataDir,
      dataset: data.dataset,
      modelDir: join(root, "run"),
      preset: "tiny",
      batchSize: 4,
      contextSize: 3,
      steps: 3,
      workers: 2,
      microBatchSize: 1,
      dataWorkers: 0,
      evalEvery: 0,
      renderEvery: 0,
      logEvery: 1,
      log: (line) => lines.push(line),
      onLog: (r) => records.push(r),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(lines.join("\n")).toMatch(/\[gqn\] data-parallel: 2 replicas, micro-batches of at most 1\./);
    const trainRecords = records.filter((r) => r.split === "train");
    expect(trainRecords.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const r of trainRecords) {
      expect(Number.isFinite(r.nll) && Number.isFinite(r.kl)).toBe(true);
      expect(r.elbo).toBeCloseTo(r.nll + r.kl, 1);
    }
    const loaded = await loadCheckpoint(result.checkpoint as string);
    expect(loaded.step).toBe(3);
    loaded.model.dispose();
  }, 120_000);
});
