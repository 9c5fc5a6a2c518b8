// A GQN with an epipolar reader: it trains, saves and loads (the reader's tensors are tested in
// @gqn/encoders' epipolar.test.ts).
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { testBatch } from "../test/model-fixtures.js";
import { resolveGqnConfig } from "./gqn-config.js";
import { GqnModel } from "./gqn-model.js";

describe("a GqnModel with an epipolar reader", () => {
  const config = () =>
    resolveGqnConfig("tiny", {
      frameSize: 16,
      encoder: { type: "tower", channels: 8 },
      reader: {
        fovDegrees: 60,
        near: 0.5,
        far: 7,
        depths: 4,
        summaryChannels: 4,
        hiddenChannels: 8,
        keyChannels: 8,
        valueChannels: 4,
      },
    });

  it("gives every weight a finite gradient, keeps the tensor count flat over 100 steps, and refuses a render without context", () => {
    const model = GqnModel.create(config(), { seed: 3 });
    expect(model.config.draw.readChannels).toBe(4);
    const batch = testBatch(2, 3, 16, 9);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, 0.7, { seed: 1 }).loss);
      const out = {
        loss: value.dataSync()[0] as number,
        grads: Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, g.dataSync()])),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const first = step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first.loss)).toBe(true);
    const readerGrads = Object.entries(first.grads).filter(([n]) => n.includes("/reader/"));
    expect(readerGrads.length).toBe(13); // summary 4, attention 9
    for (const [name, g] of Object.entries(first.grads)) {
      expect(g.every(Number.isFinite), name).toBe(true);
    }
    // The reader's summary and attention both learn from the loss (their gradients are not all zero).
    for (const name of ["summary_1/kernel", "embed/kernel", "generator_query/kernel"]) {
      const g = readerGrads.find(([n]) => n.endsWith(name))?.[1] as Float32Array;
      expect(
        g.some((v) => v !== 0),
        name,
      ).toBe(true);
    }
    const r = model.represent(batch.contextFrames, batch.contextPoses);
    expect(() => model.render(r, batch.queryPose)).toThrow(/pass options.context = \{ frames, poses \}/);
    const image = model.render(r, batch.queryPose, {
      seed: 2,
      context: { frames: batch.contextFrames, poses: batch.contextPoses },
    });
    expect(image.shape).toEqual([2, 16, 16, 3]);
    tf.dispose([r, image]);
    batch.dispose();
    model.dispose();
  });

  it("by default has the summary alone: no per-step read, so DRAW keeps its fused training pass", () => {
    const config = resolveGqnConfig("tiny", { frameSize: 16, reader: { fovDegrees: 60, near: 0.5, far: 7 } });
    expect(config.reader).toMatchObject({ summaryChannels: 32, valueChannels: 0, depths: 16 });
    expect(config.draw.readChannels).toBe(0);
    const model = GqnModel.create(config, { seed: 5 });
    const batch = testBatch(2, 3, 16, 13);
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, 0.7, { seed: 1 }).loss);
    const reader = Object.entries(grads).filter(([n]) => n.includes("/reader/"));
    // tfjs numbers repeated weight names within a process (kernel_1): compare without the number.
    expect(reader.map(([n]) => n.split("/reader/")[1]?.replace(/_\d+$/, "")).sort()).toEqual([
      "summary_1/bias",
      "summary_1/kernel",
      "summary_2/bias",
      "summary_2/kernel",
    ]);
    for (const [name, g] of reader)
      expect(
        g.dataSync().some((v) => v !== 0),
        name,
      ).toBe(true);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    batch.dispose();
    model.dispose();
  });

  it("saves and loads its reader: the loaded model renders the same image", async () => {
    const model = GqnModel.create(config(), { seed: 4 });
    const batch = testBatch(1, 3, 16, 11);
    const render = (m: GqnModel) =>
      tf.tidy(() =>
        m.render(m.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, {
          seed: 5,
          context: { frames: batch.contextFrames, poses: batch.contextPoses },
        }),
      );
    const saved: { artifacts?: tf.io.ModelArtifacts } = {};
    await model.toLayersModel().save({
      save: async (artifacts) => {
        saved.artifacts = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    });
    const loaded = await GqnModel.load(
      tf.io.fromMemory(saved.artifacts as tf.io.ModelArtifacts),
      model.config,
    );
    expect(loaded.config.reader).toEqual(model.config.reader);
    const [a, c] = [render(model), render(loaded)];
    expect(Array.from(c.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, c]);
    batch.dispose();
    model.dispose();
    loaded.dispose();
  });
});
