// Reading checkpoints as @gqn/train writes them, and loading a trained GQN from one (or from a
// saved model), 0.0.0's checkpoint included; the trainer's own tests write and resume them.
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GqnModel, getPreset, resolveGqnConfig } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeCheckpoint } from "../../test/write-checkpoint.js";
import { latestCheckpoint, listCheckpoints, loadCheckpoint, resolveCheckpoint } from "./load-checkpoint.js";
import { loadTrainedModel } from "./load-trained-model.js";

const CHECKPOINT_0_0_0 = fileURLToPath(
  new URL("../../../model/test/fixtures/checkpoint-0.0.0", import.meta.url),
);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gqn-load-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes the checksums.json a save writes last: SHA-256 of every other file. */
async function writeChecksums(checkpoint: string): Promise<void> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(checkpoint)).sort()) {
    files[name] = createHash("sha256")
      .update(await readFile(join(checkpoint, name)))
      .digest("hex");
  }
  await writeFile(join(checkpoint, "checksums.json"), JSON.stringify({ algorithm: "sha256", files }));
}

describe("finding a run's checkpoints", () => {
  it("lists them, takes the one `latest` names, and falls back to the highest when it is stale", async () => {
    await writeCheckpoint(dir, { step: 2 });
    const newest = await writeCheckpoint(dir, { step: 10 });
    const root = join(dir, "checkpoints");
    expect(await listCheckpoints(dir)).toEqual([
      { step: 2, path: join(root, "ckpt-2") },
      { step: 10, path: newest },
    ]);
    await writeFile(join(root, "latest"), "ckpt-2\n");
    expect(await latestCheckpoint(dir)).toBe(join(root, "ckpt-2"));
    await writeFile(join(root, "latest"), "ckpt-99\n");
    expect(await latestCheckpoint(dir)).toBe(newest);
    // A model dir, its checkpoints folder and a checkpoint directory all name a checkpoint.
    expect(await resolveCheckpoint(dir)).toBe(newest);
    expect(await resolveCheckpoint(root)).toBe(newest);
    expect(await resolveCheckpoint(newest)).toBe(newest);
    expect(await listCheckpoints(join(dir, "nothing"))).toEqual([]);
  });
});

describe("loadCheckpoint", () => {
  it("reads the model, the state and the evaluation recorded after the save", async () => {
    const path = await writeCheckpoint(dir, { step: 4, dataset: "rooms_ring_camera" });
    await writeChecksums(path);
    await writeFile(join(path, "evaluation.json"), JSON.stringify({ step: 4, elbo: 12 }));
    const loaded = await loadCheckpoint(dir);
    expect(loaded).toMatchObject({ path, step: 4, state: { step: 4, dataset: "rooms_ring_camera" } });
    expect(loaded.state.lastEval).toEqual({ step: 4, elbo: 12 });
    loaded.model.dispose();
  });

  it("refuses a changed file, a damaged newest checkpoint naming the intact one, and non-finite weights", async () => {
    const older = await writeCheckpoint(dir, { step: 1 });
    const newest = await writeCheckpoint(dir, { step: 2 });
    await writeChecksums(newest);
    const weights = await readFile(join(newest, "weights.bin"));
    new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4).fill(Number.NaN);
    await writeFile(join(newest, "weights.bin"), weights);
    await expect(loadCheckpoint(newest)).rejects.toThrow(/weights\.bin does not match its checksum/);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `does not match its checksum in checksums.json: it changed after the save (a damaged disk, a copy cut short, an edit). The newest intact checkpoint is ${older}: pass that directory`,
    );
    // Saved without checksums (an earlier version): the weights themselves are checked on request.
    await rm(join(newest, "checksums.json"));
    (await loadCheckpoint(newest)).model.dispose();
    await expect(loadCheckpoint(newest, { requireFinite: true })).rejects.toThrow(
      /weights\.bin holds non-finite values \(in .+: \d+ of \d+ values\): the weights are damaged/,
    );
    await expect(loadCheckpoint(join(dir, "nothing"))).rejects.toThrow(/no checkpoint in .*nothing/);
  });
});

describe("loadTrainedModel", () => {
  it("loads version 0.0.0's checkpoint, which computes what it computed then", async () => {
    const before = tf.memory().numTensors;
    const trained = await loadTrainedModel(CHECKPOINT_0_0_0, "test");
    expect(trained).toMatchObject({ step: 2, dataset: "rooms_ring_camera", training: { contextSize: 3 } });
    expect(trained.model.config.frameSize).toBe(16);
    const { representation } = JSON.parse(await readFile(join(CHECKPOINT_0_0_0, "expected.json"), "utf8"));
    const frames = tf.tidy(() => {
      const n = 2 * 3 * 16 * 16 * 3;
      const wave = Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.37));
      return tf.tensor5d(wave, [2, 3, 16, 16, 3]);
    });
    const poses = tf.tidy(() => {
      const wave = Array.from({ length: 2 * 3 * 7 }, (_, i) => 0.5 + 0.5 * Math.sin(i * 1.3));
      return tf.sub(tf.mul(tf.tensor3d(wave, [2, 3, 7]), 2), 1) as tf.Tensor3D;
    });
    const r = trained.model.represent(frames, poses);
    expect(r.shape).toEqual(representation.shape);
    expect(tf.tidy(() => tf.sum(r).dataSync()[0])).toBeCloseTo(representation.sum, 3);
    tf.dispose([frames, poses, r]);
    trained.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loads a saved model (model.json, no run state); refuses non-finite weights and a path holding neither", async () => {
    const config = resolveGqnConfig(getPreset("tiny").model, { frameSize: 16 });
    const saved = GqnModel.create(config, { seed: 2 });
    const modelDir = join(dir, "saved");
    await saved.toLayersModel().save(layersModelFiles(modelDir));
    const trained = await loadTrainedModel(modelDir, "test");
    expect(trained.step).toBeUndefined();
    expect(trained.model.config).toEqual(saved.config);
    trained.model.dispose();
    saved.dispose();
    const nan = join(dir, "nan");
    await cp(modelDir, nan, { recursive: true });
    const weights = await readFile(join(nan, "weights.bin"));
    new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4).fill(Number.NaN);
    await writeFile(join(nan, "weights.bin"), weights);
    await expect(loadTrainedModel(nan, "test")).rejects.toThrow(
      new RegExp(`^test: ${nan} holds non-finite weights \\(.+: \\d+ of \\d+ values\\)`),
    );
    await expect(loadTrainedModel(join(dir, "empty"), "test")).rejects.toThrow(
      /^test: no checkpoint in .*empty: it is neither a checkpoint .* nor a saved model/,
    );
  });
});
