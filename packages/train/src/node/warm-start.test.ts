import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "@gqn/eval/node";
import { completeGqnConfig, type GqnConfig, GqnModel, getPreset, resolveGqnConfig } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingConfig } from "../training-config.js";
import { openModelAndTrainer } from "./model-and-trainer.js";
import { differingKeys, openWarmStart } from "./warm-start.js";

// The viewer's shipped model: what docs/training.md fine-tunes.
const SHIPPED = fileURLToPath(
  new URL("../../../../examples/viewer/public/models/gqn-rooms", import.meta.url),
);
const weightsOf = (model: { getWeights(): tf.Tensor[] }) =>
  model.getWeights().map((w) => Array.from(w.dataSync()));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gqn-warm-"));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const asked = { model: undefined, training: {} };

describe("openWarmStart", () => {
  it("takes the shipped model's config and weights for a new model", async () => {
    const before = tf.memory().numTensors;
    const warm = await openWarmStart(SHIPPED, { ...asked, preset: "small", modelAsked: false });
    const shipped = await loadCheckpoint(SHIPPED);
    expect(warm.step).toBe(shipped.step);
    // The shipped config, with the fields added since filled in by their defaults.
    expect(warm.model.config).toEqual(completeGqnConfig(shipped.state.gqnConfig as GqnConfig));
    expect(warm.model.config.draw.readChannels).toBe(0);
    // Its training config, with the pixel sigma held where the source's anneal ended.
    const trained = shipped.state.trainingConfig as TrainingConfig;
    expect(warm.heldSigma).toBeCloseTo(trained.sigma.end, 12);
    expect(warm.training).toEqual({
      ...trained,
      sigma: { start: trained.sigma.end, end: trained.sigma.end, steps: 1 },
    });
    expect(weightsOf(warm.model.toLayersModel())).toEqual(weightsOf(shipped.model));
    // The new run's model is the source's, with a fresh trainer.
    const opened = await openModelAndTrainer({
      config: warm.model.config,
      training: warm.training,
      datasetViews: 10,
      seed: 5,
      from: { model: warm.model },
    });
    expect(weightsOf(opened.model.toLayersModel())).toEqual(weightsOf(shipped.model));
    await opened.close();
    shipped.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("anneals sigma as asked when the options give a schedule", async () => {
    const sigma = { start: 1.5, end: 0.7, steps: 100 };
    const warm = await openWarmStart(SHIPPED, {
      ...asked,
      training: { sigma },
      preset: "small",
      modelAsked: false,
    });
    expect(warm.heldSigma).toBeUndefined();
    expect(warm.training.sigma).toEqual(sigma);
    warm.model.dispose();
  });

  it("refuses a preset of another architecture, naming the keys that differ", async () => {
    const before = tf.memory().numTensors;
    await expect(openWarmStart(SHIPPED, { ...asked, preset: "tiny", modelAsked: true })).rejects.toThrow(
      /holds another architecture than the preset and model options make \(differing keys: encoder\.type, encoder\.variant, reader\)/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reads a saved model directory (model.json, no state) and names a path that is neither", async () => {
    const tiny = resolveGqnConfig(getPreset("tiny").model, {});
    const saved = GqnModel.create(tiny, { seed: 3 });
    const dir = join(root, "saved");
    await saved.toLayersModel().save(layersModelFiles(dir));
    const warm = await openWarmStart(dir, { ...asked, preset: "tiny", modelAsked: true });
    expect(warm.model.config).toEqual(tiny);
    expect(weightsOf(warm.model.toLayersModel())).toEqual(weightsOf(saved.toLayersModel()));
    warm.model.dispose();
    saved.dispose();
    await expect(openWarmStart(root, { ...asked, preset: "tiny", modelAsked: true })).rejects.toThrow(
      `train: initFrom: no checkpoint in ${root}: it is neither a checkpoint (ckpt-<step>, or a model dir holding one) nor a saved model (a directory with model.json).`,
    );
  });

  it("refuses a source with non-finite weights, naming it and the way on", async () => {
    const tiny = resolveGqnConfig(getPreset("tiny").model, {});
    const saved = GqnModel.create(tiny, { seed: 3 });
    const layers = saved.toLayersModel();
    const first = layers.weights[0]!;
    first.write(tf.fill(first.shape as number[], Number.NaN));
    const dir = join(root, "nan");
    await layers.save(layersModelFiles(dir));
    saved.dispose();
    await expect(openWarmStart(dir, { ...asked, preset: "tiny", modelAsked: true })).rejects.toThrow(
      new RegExp(
        `^train: initFrom: ${dir} holds non-finite weights \\(.+: \\d+ of \\d+ values\\): nothing rendered, scored or trained from them means anything. If it is a run's newest checkpoint, pass an older one`,
      ),
    );
  });
});

describe("differingKeys", () => {
  it("lists nested keys that differ or exist on one side only", () => {
    expect(differingKeys({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1], e: 0 } })).toEqual([
      "b.c",
      "b.e",
    ]);
    expect(differingKeys({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
