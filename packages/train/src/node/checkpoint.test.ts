import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latestCheckpoint, listCheckpoints, loadCheckpoint } from "@gqn/eval/node";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BETA1_POWER, BETA2_POWER, readAdamState, writeAdamState } from "../adam-state.js";
import {
  loadResumeCheckpoint,
  loadTrainingCheckpoint,
  readRunCheckpoint,
  removeStaleCheckpointFiles,
  saveCheckpoint,
} from "./checkpoint.js";

function denseModel() {
  const input = tfl.input({ shape: [3] });
  const output = tfl.layers
    .dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

/** The model's weights as the optimizer state's moments must fit them. */
const weightsOf = (model: tfl.LayersModel) =>
  model.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape as number[] }));

/** Saves with the optimizer's state, disposing the copies afterwards. */
async function save(model: tfl.LayersModel, optimizer: tf.AdamOptimizer, step: number, keep = 2) {
  const optimizerState = await readAdamState(optimizer);
  try {
    return await saveCheckpoint({
      modelDir: dir,
      step,
      model,
      optimizerState,
      state: { rng: 42 + step },
      keep,
    });
  } finally {
    tf.dispose(optimizerState.map((w) => w.tensor));
  }
}

function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  tf.tidy(() => {
    const x = tf.tensor2d([[1, 2, 3]]);
    optimizer.minimize(() => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, false, vars);
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gqn-ckpt-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("checkpoints", () => {
  it("round-trips weights, Adam moments and state; keeps the last K; no leaks", async () => {
    const model = denseModel();
    const optimizer = tf.train.adam(0.1);
    trainStep(model, optimizer);
    const before = tf.memory().numTensors;
    for (const step of [1, 2, 3, 4]) {
      trainStep(model, optimizer);
      await save(model, optimizer, step);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 4]);
    expect((await readFile(join(dir, "checkpoints", "latest"), "utf8")).trim()).toBe("ckpt-4");
    expect((await readdir(join(dir, "checkpoints"))).sort()).toEqual(["ckpt-3", "ckpt-4", "latest"]);

    const loaded = await loadTrainingCheckpoint(dir);
    expect(loaded.step).toBe(4);
    expect(loaded.state.rng).toBe(46);
    const x = tf.tensor2d([[0.5, -1, 2]]);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.model.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));

    const restored = tf.train.adam(0.1);
    await writeAdamState(restored, loaded.optimizerState ?? [], weightsOf(loaded.model), "test");
    tf.dispose((loaded.optimizerState ?? []).map((w) => w.tensor));
    const original = await readAdamState(optimizer);
    const copy = await readAdamState(restored);
    expect(copy.map((w) => w.name)).toEqual(original.map((w) => w.name));
    expect(original.slice(-2).map((w) => w.name)).toEqual([BETA1_POWER, BETA2_POWER]);
    for (const [i, w] of original.entries()) {
      expect(Array.from(copy[i]?.tensor.dataSync() ?? [])).toEqual(Array.from(w.tensor.dataSync()));
    }
    // One more step from each gives identical weights: the moments and bias corrections carried on.
    trainStep(model, optimizer);
    trainStep(loaded.model, restored);
    const wa = model.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = loaded.model.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wb).toEqual(wa);
    tf.dispose([x, a, b, ...original.map((w) => w.tensor), ...copy.map((w) => w.tensor)]);
    loaded.model.dispose();
    model.dispose();
    optimizer.dispose();
    restored.dispose();
  });

  it("reads the optimizer files of earlier versions (Adam's powers in optimizer.json) into the same state", async () => {
    const model = denseModel();
    const optimizer = tf.train.adam(0.1);
    trainStep(model, optimizer);
    trainStep(model, optimizer);
    const path = await save(model, optimizer, 2);
    // The earlier layout: getWeights() in optimizer.bin, the powers as numbers beside its specs
    // (and no checksums.json, which came later).
    await rm(join(path, "checksums.json"));
    const slots = await optimizer.getWeights();
    const { data, specs } = await tf.io.encodeWeights(slots);
    slots[0]?.tensor.dispose();
    const state = await readAdamState(optimizer);
    const powers = state.slice(-2).map((w) => w.tensor.dataSync()[0]);
    tf.dispose(state.map((w) => w.tensor));
    await writeFile(join(path, "optimizer.bin"), new Uint8Array(data));
    await writeFile(
      join(path, "optimizer.json"),
      JSON.stringify({
        className: "Adam",
        config: optimizer.getConfig(),
        weights: specs,
        adamPowers: powers,
      }),
    );
    const loaded = await loadTrainingCheckpoint(path);
    expect(loaded.optimizerState?.map((w) => w.name)).toEqual([
      ...specs.map((s) => s.name),
      BETA1_POWER,
      BETA2_POWER,
    ]);
    const restored = tf.train.adam(0.1);
    await writeAdamState(restored, loaded.optimizerState ?? [], weightsOf(loaded.model), "test");
    tf.dispose((loaded.optimizerState ?? []).map((w) => w.tensor));
    // The next step is the same from both: moments and bias corrections carried on, bit for bit.
    trainStep(model, optimizer);
    trainStep(loaded.model, restored);
    expect(loaded.model.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(
      model.getWeights().map((t) => Array.from(t.dataSync())),
    );
    for (const m of [model, loaded.model]) m.dispose();
    for (const o of [optimizer, restored]) o.dispose();
  });

  it("falls back to the highest complete checkpoint and cleans leftovers of dead processes", async () => {
    const model = denseModel();
    await saveCheckpoint({ modelDir: dir, step: 5, model, state: {} });
    const root = join(dir, "checkpoints");
    await rm(join(root, "latest"));
    await mkdir(join(root, "ckpt-9.tmp-999999999"));
    await writeFile(join(root, "ckpt-9.tmp-999999999", "model.json"), "{");
    expect(await latestCheckpoint(dir)).toBe(join(root, "ckpt-5"));
    expect(await removeStaleCheckpointFiles(dir)).toEqual(["ckpt-9.tmp-999999999"]);
    model.dispose();
  });

  it("says clearly when there is nothing to load or the files are broken", async () => {
    await expect(loadCheckpoint(dir)).rejects.toThrow(/no checkpoint in/);
    const model = denseModel();
    const path = await saveCheckpoint({ modelDir: dir, step: 1, model, state: {} });
    await writeFile(join(path, "model.json"), "not json");
    await expect(loadCheckpoint(dir)).rejects.toMatchObject({ code: "CHECKPOINT_ERROR" });
    model.dispose();
  });

  it("never overwrites or silently keeps an existing ckpt-<step>", async () => {
    const model = denseModel();
    await saveCheckpoint({ modelDir: dir, step: 3, model, state: { run: "old" } });
    await expect(saveCheckpoint({ modelDir: dir, step: 3, model, state: { run: "new" } })).rejects.toThrow(
      /saveCheckpoint: .*ckpt-3 exists already, and a checkpoint is never overwritten/,
    );
    const loaded = await loadCheckpoint(dir);
    expect(loaded.state.run).toBe("old");
    loaded.model.dispose();
    model.dispose();
  });

  it("refuses non-finite weights, and a resume falls back past them to the newest good checkpoint", async () => {
    const model = denseModel();
    await saveCheckpoint({ modelDir: dir, step: 15, model, state: {} });
    const newest = await saveCheckpoint({ modelDir: dir, step: 20, model, state: {} });
    const weights = await readFile(join(newest, "weights.bin"));
    new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4)[1] = Number.NaN;
    await writeFile(join(newest, "weights.bin"), weights);
    // Without its checksums (as an earlier version saved it), a resume checks the weights themselves.
    await expect(loadCheckpoint(newest)).rejects.toThrow(/weights\.bin does not match its checksum/);
    await rm(join(newest, "checksums.json"));
    const lines: string[] = [];
    const loaded = await loadResumeCheckpoint(dir, (line) => lines.push(line));
    expect(loaded?.step).toBe(15);
    expect(lines.join("\n")).toMatch(
      /resuming from ckpt-15.*weights\.bin holds non-finite values \(in dense_\w+\/kernel: 1 of 6 values\).*moved aside, not deleted: ckpt-20\.aside-\d+/,
    );
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([15]);
    loaded?.model.dispose();
    model.dispose();
  });

  it("refuses a state.json whose step is not its directory's", async () => {
    const model = denseModel();
    const path = await saveCheckpoint({ modelDir: dir, step: 20, model, state: {} });
    await rm(join(path, "checksums.json")); // as an earlier version saved it: the state is read as it is
    for (const step of [12, 1e300, -1]) {
      const state = JSON.parse(await readFile(join(path, "state.json"), "utf8"));
      await writeFile(join(path, "state.json"), JSON.stringify({ ...state, step }));
      await expect(loadCheckpoint(path), String(step)).rejects.toThrow(
        step === 12 ? /says step 12, but the directory is ckpt-20/ : /must hold a non-negative integer step/,
      );
    }
    model.dispose();
  });

  it("checks every file against checksums.json: a flipped bit fails the load, and a resume passes over it", async () => {
    const model = denseModel();
    const optimizer = tf.train.adam(0.01);
    trainStep(model, optimizer);
    await save(model, optimizer, 1, 3);
    const newest = await save(model, optimizer, 2, 3);
    const sums = JSON.parse(await readFile(join(newest, "checksums.json"), "utf8"));
    expect(sums.algorithm).toBe("sha256");
    expect(Object.keys(sums.files).sort()).toEqual([
      "model.json",
      "optimizer.bin",
      "optimizer.json",
      "state.json",
      "weights.bin",
    ]);
    for (const file of ["weights.bin", "optimizer.bin", "state.json"]) {
      const path = join(newest, file);
      const original = await readFile(path);
      const flipped = Buffer.from(original);
      flipped[flipped.length - 2]! ^= 0x01;
      await writeFile(path, flipped);
      await expect(loadCheckpoint(newest), file).rejects.toThrow(
        new RegExp(`${file.replace(".", "\\.")} does not match its checksum in checksums\\.json`),
      );
      await writeFile(path, original);
    }
    (await loadCheckpoint(newest)).model.dispose();
    const weights = await readFile(join(newest, "weights.bin"));
    weights[3]! ^= 0x80;
    await writeFile(join(newest, "weights.bin"), weights);
    const lines: string[] = [];
    const loaded = await loadResumeCheckpoint(dir, (line) => lines.push(line));
    expect(loaded?.step).toBe(1);
    expect(lines.join("\n")).toMatch(/ckpt-2 \(.*does not match its checksum/);
    loaded?.model.dispose();
    tf.dispose(loaded?.optimizerState?.map((w) => w.tensor) ?? []);
    model.dispose();
    optimizer.dispose();
  });

  it("when latest names a damaged checkpoint and newer ones exist, names them as the way on", async () => {
    const model = denseModel();
    for (const step of [10, 15, 20]) await saveCheckpoint({ modelDir: dir, step, model, state: {}, keep: 3 });
    const root = join(dir, "checkpoints");
    await writeFile(join(root, "latest"), "ckpt-10\n");
    await rm(join(root, "ckpt-10", "state.json"));
    await expect(loadResumeCheckpoint(dir, () => {})).rejects.toThrow(
      /latest names ckpt-10, and newer checkpoints were not tried: write one's name \(ckpt-15, ckpt-20\) into it/,
    );
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([10, 15, 20]);
    await writeFile(join(root, "latest"), "ckpt-20\n");
    await rm(join(root, "ckpt-20", "weights.bin"));
    await rm(join(root, "ckpt-15", "model.json"));
    await expect(loadResumeCheckpoint(dir, () => {})).rejects.toThrow(/Move them aside to start a new run/);
    model.dispose();
  });

  it("refuses to open a run whose latest is a directory, before any save can fail on it", async () => {
    const model = denseModel();
    await saveCheckpoint({ modelDir: dir, step: 25, model, state: {} });
    const root = join(dir, "checkpoints");
    await rm(join(root, "latest"));
    await mkdir(join(root, "latest"));
    await expect(readRunCheckpoint(dir, { load: false })).rejects.toThrow(
      /checkpoints\/latest is a directory, but it must be the file naming the newest checkpoint/,
    );
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([25]);
    model.dispose();
  });
});
