import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BrowserTraining, browserModelConfig, renderBatch } from "./browser-training.js";

const small = { batchSize: 2, contextSize: 3, frameSize: 16, seed: 4 };

describe("renderBatch", () => {
  it("renders K context views and a query of each scene, the same for the same seed", async () => {
    const a = renderBatch(small, "train", 0);
    const b = renderBatch(small, "train", 0);
    const c = renderBatch(small, "train", 2);
    expect(a.contextFrames.shape).toEqual([2, 3, 16, 16, 3]);
    expect(a.contextPoses.shape).toEqual([2, 3, 7]);
    expect(a.queryPose.shape).toEqual([2, 7]);
    expect(a.target.shape).toEqual([2, 16, 16, 3]);
    const frames = await a.contextFrames.data();
    expect(Math.min(...frames)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...frames)).toBeLessThanOrEqual(1);
    expect(Array.from(await b.target.data())).toEqual(Array.from(await a.target.data()));
    expect(Array.from(await c.target.data())).not.toEqual(Array.from(await a.target.data()));
    for (const batch of [a, b, c]) tf.dispose(Object.values(batch));
  });

  it("refuses a context that leaves no query view", () => {
    expect(() => renderBatch({ ...small, contextSize: 10 }, "train", 0)).toThrow(/leaves no query view/);
  });
});

describe("BrowserTraining", () => {
  it("trains the main job's model on rendered rooms, renders a preview and saves a loadable model, without leaking", async () => {
    expect(browserModelConfig(16).reader?.fovDegrees).toBe(60);
    const before = tf.memory().numTensors;
    const training = new BrowserTraining({ ...small, steps: 3 });
    const losses = [];
    for (let i = 0; i < 3; i++) losses.push((await training.trainStep()).elbo);
    expect(training.step).toBe(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    const preview = training.previewRender();
    expect(preview.shape).toEqual([3, 16, 16, 3]);
    preview.dispose();
    const files = await training.exportFiles();
    expect(Object.keys(files).sort()).toEqual(["model.json", "state.json", "weights.bin"]);
    const state = JSON.parse(await files["state.json"].text());
    expect(state.step).toBe(3);
    expect(state.gqnConfig.frameSize).toBe(16);
    const manifest = JSON.parse(await files["model.json"].text()).weightsManifest;
    expect(manifest[0].paths).toEqual(["weights.bin"]);
    expect(files["weights.bin"].size).toBeGreaterThan(1000);
    let saved: tf.io.ModelArtifacts | undefined;
    await training.save({
      save: async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    });
    expect(saved?.weightSpecs?.length).toBeGreaterThan(0);
    training.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
