import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { GqnModel } from "./gqn-model.js";

const dir = new URL("../test/fixtures/checkpoint-0.0.0/", import.meta.url);

interface Expected {
  representation: { shape: number[]; sum: number; first: number[] };
  samples: { renderSum: number; renderFirst: number[]; loss: number; nll: number; kl: number };
}

/** The checkpoint's model.json and weights.bin as tfjs model artifacts. */
function artifacts(): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(new URL("model.json", dir), "utf8")) as tf.io.ModelJSON;
  const weights = readFileSync(new URL("weights.bin", dir));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  };
}

/** `0.5 + 0.5 sin(i a)` over the flat index i: inputs that need no random generator. */
function wave(shape: number[], a: number): tf.Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => 0.5 + 0.5 * Math.sin(i * a)),
    shape,
  );
}

describe("a checkpoint saved by an earlier version", () => {
  it("loads with every weight and renders and scores as it did when it was written", async () => {
    const { representation, samples: expected } = JSON.parse(
      readFileSync(new URL("expected.json", dir), "utf8"),
    ) as Expected;
    const model = await GqnModel.load(tf.io.fromMemory(artifacts()));
    expect(model.config.frameSize).toBe(16);
    expect(model.trainableWeights.length).toBeGreaterThan(10);
    const [b, k, s] = [2, 3, 16];
    const batch = tf.tidy(() => ({
      contextFrames: wave([b, k, s, s, 3], 0.37) as tf.Tensor5D,
      contextPoses: tf.sub(tf.mul(wave([b, k, 7], 1.3), 2), 1) as tf.Tensor3D,
      queryPose: tf.sub(tf.mul(wave([b, 7], 0.71), 2), 1) as tf.Tensor2D,
      target: wave([b, s, s, 3], 0.53) as tf.Tensor4D,
    }));
    // The representation samples nothing: it must equal what version 0.0.0 computed.
    const r = model.represent(batch.contextFrames, batch.contextPoses);
    expect(r.shape).toEqual(representation.shape);
    expect(tf.sum(r).dataSync()[0]).toBeCloseTo(representation.sum, 3);
    for (const [i, v] of Array.from(r.dataSync().slice(0, 8)).entries()) {
      expect(v).toBeCloseTo(representation.first[i] as number, 5);
    }
    const image = model.render(r, batch.queryPose, { seed: 5, samples: 2 });
    const terms = model.lossTerms(batch, 1.5, { seed: 9 });
    // Written on the cpu backend; this suite runs on wasm: float32 sums agree to ~1e-5.
    expect(tf.sum(image).dataSync()[0]).toBeCloseTo(expected.renderSum, 2);
    const first = Array.from(image.dataSync().slice(0, expected.renderFirst.length));
    for (const [i, v] of first.entries()) expect(v).toBeCloseTo(expected.renderFirst[i] as number, 4);
    expect(terms.loss.dataSync()[0]).toBeCloseTo(expected.loss, 1);
    expect(terms.nll.dataSync()[0]).toBeCloseTo(expected.nll, 1);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(expected.kl, 3);
    tf.dispose([r, image, terms.loss, terms.nll, terms.kl, ...Object.values(batch)]);
    model.dispose();
  });

  it("carries the layer's 0.0.0 class name, and saves again under today's one", async () => {
    const layerClasses = (topology: unknown) =>
      ((topology as { config: { layers: { class_name: string }[] } }).config.layers ?? []).map(
        (l) => l.class_name,
      );
    expect(layerClasses(artifacts().modelTopology)).toContain("GqnRenderer");
    const model = await GqnModel.load(tf.io.fromMemory(artifacts()));
    let saved: tf.io.ModelArtifacts | undefined;
    await model.toLayersModel().save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    const classes = layerClasses(saved?.modelTopology);
    expect(classes).toContain("GqnLayer");
    expect(classes).not.toContain("GqnRenderer");
    // And what it saved loads again, to the same weights.
    const again = await GqnModel.load(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    expect(again.countParams()).toBe(model.countParams());
    model.dispose();
    again.dispose();
  });
});
