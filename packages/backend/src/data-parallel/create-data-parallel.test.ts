import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataParallel, type DataParallel, shardSizes } from "./create-data-parallel.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const packageDir = fileURLToPath(new URL("../../", import.meta.url));
// Inside the package's node_modules, so the bundle resolves tfjs the way the fixtures do.
const workerUrl = `${packageDir}node_modules/.cache/gqn-backend-test/replica-worker.mjs`;

/** Tests read src/: bundle the worker entry from it (the published one is dist/replica-worker.js). */
async function buildWorker(): Promise<void> {
  mkdirSync(`${packageDir}node_modules/.cache/gqn-backend-test`, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL("./replica-worker.ts", import.meta.url))],
    outfile: workerUrl,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@gqn/source"],
    external: ["@tensorflow/*", "onnxruntime-node", "onnxruntime-node/*"],
    logLevel: "silent",
  });
}

/** A seeded batch for the small conv model: x [n, 8, 8, 2], y [n, 3]. */
function batch(n: number, seed: number): Record<string, tf.Tensor> {
  return {
    x: tf.randomNormal([n, 8, 8, 2], 0, 1, "float32", seed),
    y: tf.randomNormal([n, 3], 0, 1, "float32", seed + 1),
  };
}

/** Largest |a - b| over the largest |b|, over all gradient tensors (by variable position). */
function relativeError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  let scale = 1e-12;
  b.forEach((values, i) => {
    const other = a[i] as Float32Array;
    values.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      worst = Math.max(worst, Math.abs((other[j] as number) - v));
    });
  });
  return worst / scale;
}

async function gradsOf(group: DataParallel, inputs: Record<string, tf.Tensor>) {
  const { loss, grads } = await group.computeGradients(inputs);
  const values = group.replica.variables.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array);
  tf.dispose(Object.values(grads));
  return { loss, values };
}

describe("shardSizes", () => {
  it("splits as evenly as possible and never makes empty shards", () => {
    expect(shardSizes(5, 2)).toEqual([3, 2]);
    expect(shardSizes(36, 2)).toEqual([18, 18]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 4)).toEqual([1]);
  });
});

describe("createDataParallel", () => {
  let single: DataParallel;
  let pair: DataParallel;
  const options = {
    replicaModule: fixture("small-conv-replica.mjs"),
    replicaConfig: { channels: 4, seed: 3 },
  };

  beforeAll(async () => {
    await buildWorker();
    single = await createDataParallel({ ...options, workers: 1, workerUrl });
    pair = await createDataParallel({ ...options, workers: 2, workerUrl });
  }, 60_000);

  afterAll(async () => {
    await single?.dispose();
    await pair?.dispose();
  });

  it("2 replicas give the single replica's loss and gradients on the same batch (uneven shards)", async () => {
    const inputs = batch(5, 10);
    const one = await gradsOf(single, inputs);
    const two = await gradsOf(pair, inputs);
    expect(two.loss).toBeCloseTo(one.loss, 5);
    expect(relativeError(two.values, one.values)).toBeLessThan(1e-5);
    // Not vacuous: the gradient of shard 0 alone is far from the batch's.
    const firstShard = await gradsOf(single, {
      x: tf.slice(inputs.x as tf.Tensor, 0, 3),
      y: tf.slice(inputs.y as tf.Tensor, 0, 3),
    });
    expect(relativeError(firstShard.values, one.values)).toBeGreaterThan(1e-2);
    tf.dispose(Object.values(inputs));
  });

  it("trains like one replica over several Adam steps: the replicas stay in step", async () => {
    const optimizers = [tf.train.adam(0.05), tf.train.adam(0.05)];
    const losses: number[][] = [[], []];
    for (let step = 0; step < 3; step++) {
      const inputs = batch(6, 100 + step);
      losses[0]?.push(await single.trainStep(inputs, optimizers[0] as tf.Optimizer));
      losses[1]?.push(await pair.trainStep(inputs, optimizers[1] as tf.Optimizer));
      tf.dispose(Object.values(inputs));
    }
    losses[1]?.forEach((loss, i) => {
      expect(loss).toBeCloseTo(losses[0]?.[i] as number, 4);
    });
    // The weights moved (the steps did something), and identically.
    const weights = (group: DataParallel) => group.replica.variables.map((v) => v.dataSync() as Float32Array);
    expect(relativeError(weights(pair), weights(single))).toBeLessThan(1e-4);
    expect(losses[0]?.[2]).not.toBe(losses[0]?.[0]);
    // After the steps, the workers compute with the updated weights: gradients still agree.
    const inputs = batch(4, 200);
    expect(
      relativeError((await gradsOf(pair, inputs)).values, (await gradsOf(single, inputs)).values),
    ).toBeLessThan(1e-5);
    tf.dispose(Object.values(inputs));
    for (const optimizer of optimizers) optimizer.dispose();
  });

  it("micro-batches give the whole batch's gradient (chunks of 2 on shards of 4 and 3)", async () => {
    const chunked = await createDataParallel({ ...options, workers: 2, workerUrl, microBatchSize: 2 });
    const alone = await createDataParallel({ ...options, workers: 1, microBatchSize: 2 });
    try {
      const inputs = batch(7, 500);
      // Fresh groups: same initial weights as each other, whatever the other tests did.
      const reference = await createDataParallel({ ...options, workers: 1 });
      const whole = await gradsOf(reference, inputs);
      await reference.dispose();
      for (const group of [chunked, alone]) {
        const before = tf.memory().numTensors;
        const result = await gradsOf(group, inputs);
        expect(tf.memory().numTensors).toBe(before);
        expect(result.loss).toBeCloseTo(whole.loss, 5);
        expect(relativeError(result.values, whole.values)).toBeLessThan(1e-5);
      }
      tf.dispose(Object.values(inputs));
    } finally {
      await chunked.dispose();
      await alone.dispose();
    }
  }, 30_000);

  it("averages the replica's metrics over shards and micro-batches like the loss", async () => {
    const withMetrics = { ...options, replicaConfig: { ...options.replicaConfig, metrics: true } };
    const reference = await createDataParallel({ ...withMetrics, workers: 1 });
    const split = await createDataParallel({ ...withMetrics, workers: 2, workerUrl, microBatchSize: 2 });
    try {
      const inputs = batch(7, 900);
      const whole = await reference.computeGradients(inputs);
      const parts = await split.computeGradients(inputs);
      tf.dispose([...Object.values(whole.grads), ...Object.values(parts.grads)]);
      expect(Object.keys(whole.metrics).sort()).toEqual(["absolute", "squared"]);
      expect(whole.metrics.squared).toBeCloseTo(whole.loss, 5);
      expect(parts.metrics.squared).toBeCloseTo(whole.metrics.squared as number, 4);
      expect(parts.metrics.absolute).toBeCloseTo(whole.metrics.absolute as number, 4);
      expect(whole.metrics.absolute).not.toBeCloseTo(whole.loss, 2);
      // A replica that returns a bare scalar reports no metrics.
      const plain = await single.computeGradients(inputs);
      tf.dispose(Object.values(plain.grads));
      expect(plain.metrics).toEqual({});
      tf.dispose(Object.values(inputs));
    } finally {
      await reference.dispose();
      await split.dispose();
    }
  }, 30_000);

  it("runs a batch smaller than the group on fewer shards, and leaks no tensors", async () => {
    const inputs = batch(1, 300);
    const before = tf.memory().numTensors;
    const one = await gradsOf(single, inputs);
    const two = await gradsOf(pair, inputs);
    expect(tf.memory().numTensors).toBe(before);
    // (The two groups' weights differ by the rounding of the previous test's steps.)
    expect(relativeError(two.values, one.values)).toBeLessThan(1e-4);
    tf.dispose(Object.values(inputs));
  });

  it("refuses a second step while one is running", async () => {
    const inputs = batch(4, 400);
    const first = pair.computeGradients(inputs);
    await expect(pair.computeGradients(inputs)).rejects.toThrow(/one step at a time/);
    tf.dispose(Object.values((await first).grads));
    tf.dispose(Object.values(inputs));
  });

  it("rejects inputs without a common batch axis", async () => {
    const inputs = { x: tf.zeros([2, 8, 8, 2]), y: tf.zeros([3, 3]) };
    await expect(pair.computeGradients(inputs)).rejects.toThrow(
      /every input must have the batch size 2 .* but y has shape \[3, 3\]/,
    );
    tf.dispose(Object.values(inputs));
  });
});

describe("createDataParallel failures", () => {
  beforeAll(buildWorker, 60_000);

  it("rejects a worker count that is not a positive integer", async () => {
    const error = await createDataParallel({ replicaModule: fixture("bad-replica.mjs"), workers: 0 }).catch(
      (e) => e,
    );
    expect(isGqnError(error) && error.code).toBe("INVALID_ARGUMENT");
  });

  it("rejects workers whose replica differs from the main one", async () => {
    const main = { variables: [tf.variable(tf.ones([3]))], loss: () => tf.scalar(0) };
    const error = await createDataParallel({
      replicaModule: fixture("bad-replica.mjs"),
      replicaConfig: { size: 2 },
      replica: main,
      workers: 2,
      workerUrl,
    }).catch((e) => e);
    expect(isGqnError(error) && error.code).toBe("INVALID_ARGUMENT");
    expect(String(error.message)).toMatch(/worker 1's replica must have the main replica's variables/);
    tf.dispose(main.variables);
  }, 30_000);

  it("reports a failing worker step as BACKEND_UNAVAILABLE and keeps working", async () => {
    const group = await createDataParallel({
      replicaModule: fixture("bad-replica.mjs"),
      workers: 2,
      workerUrl,
    });
    try {
      const inputs = { x: tf.ones([4, 2]) };
      const error = await group.computeGradients(inputs, { throwOnShard: 1 }).catch((e) => e);
      expect(isGqnError(error) && error.code).toBe("BACKEND_UNAVAILABLE");
      expect(String(error.message)).toMatch(/worker 1 failed: shard 1 refuses/);
      const { loss, grads } = await group.computeGradients(inputs);
      expect(loss).toBeCloseTo(2, 5);
      tf.dispose([inputs.x, ...Object.values(grads)]);
    } finally {
      await group.dispose();
    }
  }, 30_000);
});
