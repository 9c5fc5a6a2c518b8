import { deriveSeed } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testBatch, tinyConfig } from "../test/model-fixtures.js";
import type { RenderOptions } from "./gqn.js";
import type { GqnBatch } from "./gqn-batch.js";
import { resolveGqnConfig } from "./gqn-config.js";
import { GqnLayer } from "./gqn-layer.js";
import { GqnModel } from "./gqn-model.js";

/** The query views of a batch, represented and rendered in one go. */
function renderBatch(model: GqnModel, batch: GqnBatch, options: RenderOptions = {}): tf.Tensor4D {
  return tf.tidy(() =>
    model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, options),
  );
}

describe("GqnModel", () => {
  let model: GqnModel;
  beforeAll(() => {
    model = GqnModel.create(tinyConfig(), { seed: 1 });
  });
  afterAll(() => model.dispose());

  it("validates the config before making any tensor", () => {
    const before = tf.memory().numTensors;
    const bad = { ...tinyConfig(), frameSize: 18 };
    expect(() => GqnModel.create(bad)).toThrow(/frameSize must be a positive multiple of 4/);
    const wrongEncoder = { ...tinyConfig(), encoder: { ...tinyConfig().encoder, frameSize: 32 } };
    expect(() => GqnModel.create(wrongEncoder)).toThrow(/encoder.frameSize must equal frameSize 16/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("renders the query views in [0, 1], the same for the same seed, without leaks", () => {
    const batch = testBatch(2, 3, 16, 5);
    const before = tf.memory().numTensors;
    const a = renderBatch(model, batch, { seed: 3 });
    const b = renderBatch(model, batch, { seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(a.shape).toEqual([2, 16, 16, 3]);
    const values = a.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(values));
    // Seed 0 means "no seed" to tfjs's random ops; here it is a seed like any other.
    const [c, d] = [0, 0].map((seed) => renderBatch(model, batch, { seed }));
    expect(Array.from((d as tf.Tensor).dataSync())).toEqual(Array.from((c as tf.Tensor).dataSync()));
    expect(Array.from((c as tf.Tensor).dataSync())).not.toEqual(Array.from(values));
    tf.dispose([a, b, c as tf.Tensor, d as tf.Tensor]);
    batch.dispose();
  });

  it("averages prior draws with samples: N, each draw seeded as a one-sample render can be", () => {
    const batch = testBatch(2, 3, 16, 7);
    const before = tf.memory().numTensors;
    const render = (options: { seed: number; samples?: number }) => renderBatch(model, batch, options);
    const one = render({ seed: 4, samples: 1 });
    const plain = render({ seed: 4 });
    expect(Array.from(one.dataSync())).toEqual(Array.from(plain.dataSync()));
    // Draw 0 is the plain render with the seed, draw i that with deriveSeed(seed, "sample", i).
    const draws = [0, 1, 2].map((i) => render({ seed: i === 0 ? 4 : deriveSeed(4, "sample", i) }));
    const averaged = render({ seed: 4, samples: 3 });
    const expected = tf.tidy(() => tf.div(tf.addN(draws), 3));
    const got = averaged.dataSync();
    const want = expected.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 5);
    expect(Array.from(got)).not.toEqual(Array.from(one.dataSync()));
    for (const bad of [0, 1.5]) {
      expect(() => render({ seed: 4, samples: bad })).toThrow(
        `GqnModel.render: samples must be a positive integer, but got ${bad}.`,
      );
    }
    tf.dispose([one, plain, ...draws, averaged, expected]);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });

  it("gives the loss terms as scalars and checks the target's shape", () => {
    const batch = testBatch(2, 2, 16, 6);
    const before = tf.memory().numTensors;
    const terms = model.lossTerms(batch, 1, { seed: 1 });
    expect(tf.memory().numTensors).toBe(before + 3);
    const [loss, nll, kl] = [terms.loss, terms.nll, terms.kl].map((t) => t.dataSync()[0] ?? Number.NaN);
    expect(loss).toBeCloseTo((nll ?? 0) + (kl ?? 0), 2);
    expect(kl).toBeGreaterThanOrEqual(0);
    tf.dispose([terms.loss, terms.nll, terms.kl]);
    const wrong = { ...batch, target: tf.zeros([2, 8, 8, 3]) as tf.Tensor4D };
    expect(() => model.lossTerms(wrong, 1)).toThrow(
      "GqnModel.lossTerms: target must have shape [2, 16, 16, 3], but got [2, 8, 8, 3].",
    );
    wrong.target.dispose();
    batch.dispose();
  });

  it("represents a scene once and renders any number of views from it", () => {
    const batch = testBatch(2, 3, 16, 12);
    const before = tf.memory().numTensors;
    const r = model.represent(batch.contextFrames, batch.contextPoses);
    expect(r.shape).toEqual([2, 1, 1, 32]); // the tiny preset's pool encoder: a 1x1 r of 32 channels
    // r is a sum over the views: the views' order does not matter.
    const reversed = tf.reverse(batch.contextFrames, 1) as tf.Tensor5D;
    const reversedPoses = tf.reverse(batch.contextPoses, 1) as tf.Tensor3D;
    const r2 = model.represent(reversed, reversedPoses);
    const rv = r.dataSync();
    const r2v = r2.dataSync();
    for (let i = 0; i < rv.length; i++) expect(r2v[i]).toBeCloseTo(rv[i] as number, 4);
    const fromR = model.render(r, batch.queryPose, { seed: 5 });
    const whole = renderBatch(model, batch, { seed: 5 });
    expect(Array.from(fromR.dataSync())).toEqual(Array.from(whole.dataSync()));
    tf.dispose([r, r2, reversed, reversedPoses, fromR, whole]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.render(tf.zeros([2, 3, 3, 32]) as tf.Tensor4D, batch.queryPose)).toThrow(
      "r must have shape [2, h, h, c] with h dividing 4 (1 or 4, say), but got [2, 3, 3, 32]",
    );
    expect(() =>
      model.render(tf.zeros([2, 1, 1, 32]) as tf.Tensor4D, tf.zeros([3, 7]) as tf.Tensor2D),
    ).toThrow("GqnModel.render: queryPose must have shape [2, 7], but got [3, 7].");
    batch.dispose();
  });

  it("conditions a DRAW of scale 2 on a tower's coarser map (repeated), with the reader on its finer grid", () => {
    const config = resolveGqnConfig("tiny", {
      frameSize: 16,
      encoder: { type: "tower", channels: 8 },
      draw: { scale: 2 },
      reader: { fovDegrees: 60, near: 0.5, far: 7, depths: 4, summaryChannels: 4 },
    });
    const model = GqnModel.create(config, { seed: 2 });
    const batch = testBatch(2, 3, 16, 21);
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, 0.7, { seed: 1 }).loss);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const encoder = Object.entries(grads).filter(([n]) => n.includes("/encoder/"));
    expect(encoder.length).toBeGreaterThan(0);
    for (const [name, g] of encoder)
      expect(
        g.dataSync().some((v) => v !== 0),
        name,
      ).toBe(true);
    const image = tf.tidy(() =>
      model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, {
        seed: 3,
        context: { frames: batch.contextFrames, poses: batch.contextPoses },
      }),
    );
    expect(image.shape).toEqual([2, 16, 16, 3]);
    tf.dispose([value, image, ...Object.values(grads)]);
    batch.dispose();
    model.dispose();
  });

  it("infers with the posterior: the ELBO is the NLL of infer's mean plus its summed KL", () => {
    const batch = testBatch(2, 2, 16, 13);
    const before = tf.memory().numTensors;
    const terms = model.lossTerms(batch, 0.9, { seed: 3 });
    const by = tf.tidy(() => {
      const r = model.represent(batch.contextFrames, batch.contextPoses);
      const { mean, klPerStep } = model.infer(r, batch.queryPose, batch.target, { seed: 3 });
      expect(mean.shape).toEqual([2, 16, 16, 3]);
      expect(klPerStep.shape).toEqual([2, 4]);
      const nll = tf.mean(
        tf.sum(
          tf.add(
            tf.div(tf.square(tf.sub(batch.target, mean)), 2 * 0.81),
            Math.log(0.9) + 0.5 * Math.log(2 * Math.PI),
          ),
          [1, 2, 3],
        ),
      );
      return [nll.dataSync()[0], tf.mean(tf.sum(klPerStep, 1)).dataSync()[0]];
    });
    expect(terms.nll.dataSync()[0]).toBeCloseTo(by[0] as number, 1);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(by[1] as number, 4);
    tf.dispose([terms.loss, terms.nll, terms.kl]);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });

  it("evaluates a batch to plain numbers", async () => {
    const batch = testBatch(2, 2, 16, 7);
    const before = tf.memory().numTensors;
    const m = await model.evaluate(batch, 0.7, { seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(m.elbo).toBeCloseTo(m.nll + m.kl, 2);
    expect(m.bitsPerDim).toBeCloseTo(m.elbo / (16 * 16 * 3 * Math.LN2), 6);
    expect(m.mse).toBeGreaterThan(0);
    expect(m.psnr).toBeCloseTo(-10 * Math.log10(m.mse), 6);
    batch.dispose();
  });

  it("evaluates with one representation, to the numbers of lossTerms and render", async () => {
    const batch = testBatch(2, 2, 16, 7);
    const layer = model.toLayersModel().layers.find((l): l is GqnLayer => l instanceof GqnLayer) as GqnLayer;
    const represent = vi.spyOn(layer.encoder, "encode");
    const m = await model.evaluate(batch, 0.7, { seed: 2 });
    expect(represent).toHaveBeenCalledTimes(1);
    represent.mockRestore();
    const terms = model.lossTerms(batch, 0.7, { seed: 2 });
    const image = renderBatch(model, batch, { seed: deriveSeed(2, "render") });
    const mse = tf.tidy(() => tf.mean(tf.mean(tf.square(tf.sub(batch.target, image)), [1, 2, 3])));
    expect(m.elbo).toBe(terms.loss.dataSync()[0]);
    expect(m.kl).toBe(terms.kl.dataSync()[0]);
    expect(m.mse).toBeCloseTo(mse.dataSync()[0] as number, 6);
    // With keepRender, the caller gets that very render (its own to dispose), and nothing else leaks.
    const before = tf.memory().numTensors;
    const kept = await model.evaluate(batch, 0.7, { seed: 2, keepRender: true });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(kept.render?.dataSync() ?? [])).toEqual(Array.from(image.dataSync()));
    expect(kept.mse).toBe(m.mse);
    kept.render?.dispose();
    tf.dispose([terms.loss, terms.nll, terms.kl, image, mse]);
    batch.dispose();
  });

  it.each([
    ["the tiny preset (pool encoder, r tiled, tied steps)", {}],
    [
      "a tower encoder on the core grid with untied steps",
      { encoder: { type: "tower", channels: 16 }, draw: { tied: false } },
    ],
  ] as const)("reaches every weight with a gradient: %s", (_, overrides) => {
    const subject =
      Object.keys(overrides).length === 0
        ? model
        : GqnModel.create(resolveGqnConfig(tinyConfig(), overrides), { seed: 4 });
    const batch = testBatch(2, 2, 16, 8);
    const weights = subject.trainableWeights;
    expect(weights.length).toBeGreaterThan(4);
    expect(new Set(weights.map((w) => w.originalName)).size).toBe(weights.length);
    const { value, grads } = tf.variableGrads(
      () => subject.lossTerms(batch, 1, { seed: 1 }).loss,
      weights.map((w) => w.read() as tf.Variable),
    );
    const missing = weights.filter((w) => !grads[(w.read() as tf.Variable).name]);
    expect(missing.map((w) => w.originalName)).toEqual([]);
    const zero = weights.filter((w) => {
      const g = grads[(w.read() as tf.Variable).name] as tf.Tensor;
      return tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0] ?? 0) === 0;
    });
    // The first prior reads h_g = 0, so an untied first prior kernel gets no signal (its bias does).
    const dead = weights.length > model.trainableWeights.length ? ["gqn/draw/prior_0/kernel"] : [];
    expect(zero.map((w) => w.originalName)).toEqual(dead);
    tf.dispose([value, ...Object.values(grads)]);
    batch.dispose();
    if (subject !== model) subject.dispose();
  });

  it("saves and loads through tf.loadLayersModel with identical weights and renders", async () => {
    const batch = testBatch(2, 3, 16, 9);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.toLayersModel().save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    expect(GqnModel.isGqnModel(loaded)).toBe(true);
    const plain = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    expect(GqnModel.isGqnModel(plain)).toBe(false);
    plain.dispose();
    const copy = GqnModel.fromLayersModel(loaded, model.config);
    expect(copy.config).toEqual(model.config);
    expect(copy.trainableWeights.map((w) => w.originalName)).toEqual(
      model.trainableWeights.map((w) => w.originalName),
    );
    const a = renderBatch(model, batch, { seed: 11 });
    const b = renderBatch(copy, batch, { seed: 11 });
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // The functional model runs too (unseeded prior samples: only the shape is fixed).
    const predicted = loaded.predict([batch.contextFrames, batch.contextPoses, batch.queryPose]) as tf.Tensor;
    expect(predicted.shape).toEqual([2, 16, 16, 3]);
    expect(() =>
      GqnModel.fromLayersModel(loaded, resolveGqnConfig(tinyConfig(), { draw: { steps: 3 } })),
    ).toThrow(/config must describe the saved model/);
    tf.dispose([a, b, predicted]);
    copy.dispose();
    batch.dispose();
  });

  it("frees every tensor on dispose", () => {
    const before = tf.memory().numTensors;
    const other = GqnModel.create(tinyConfig(), { seed: 2 });
    expect(GqnModel.isGqnModel(other.toLayersModel())).toBe(true);
    expect(other.countParams()).toBeGreaterThan(0);
    // The same seed gives the same weights, seed 0 included.
    const twin = GqnModel.create(tinyConfig(), { seed: 0 });
    const again = GqnModel.create(tinyConfig(), { seed: 0 });
    const differ = twin.trainableWeights.filter(
      (w, i) => !tf.util.arraysEqual(w.read().dataSync(), again.trainableWeights[i]?.read().dataSync() ?? []),
    );
    expect(differ.map((w) => w.originalName)).toEqual([]);
    for (const m of [other, twin, again]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => other.toLayersModel()).toThrow(/disposed/);
  });
});
