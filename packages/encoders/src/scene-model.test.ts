import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { TinyEncoder } from "../test/fixture-encoders.js";
import { SceneModel } from "../test/scene-model.js";
import { type EncoderConfig, registerEncoderType } from "./create-encoder.js";

// An encoder inside a containing layer, as @gqn/train uses it: built by the container, trained
// through it, saved and loaded with it.
registerEncoderType(
  "tiny-in-model",
  (config) =>
    new TinyEncoder({
      frameSize: config.frameSize,
      seed: config.seed ?? 0,
      ...(config.name && { name: config.name }),
    }),
);

const S = 16;
const K = 3;
const configs: EncoderConfig[] = [
  { type: "tower", frameSize: S, channels: 8, seed: 1 },
  { type: "pyramid", frameSize: S, channels: 8, seed: 2 },
  { type: "tiny-in-model", frameSize: S, seed: 3 },
];

function modelFor(config: EncoderConfig) {
  const frames = tfl.input({ shape: [K, S, S, 3] });
  const poses = tfl.input({ shape: [K, 7] });
  const layer = new SceneModel({ encoder: config, views: K, name: "scene" });
  const output = layer.apply([frames, poses]) as tfl.SymbolicTensor;
  return { layer, model: tfl.model({ inputs: [frames, poses], outputs: output }) };
}

const hasBackward = () => tf.getKernel("Conv2DBackpropFilter", tf.getBackend()) !== undefined;

describe.each(configs)("an encoder inside a containing layer ($type)", (config) => {
  it("saves and loads with the model, weights named under both layers, identical outputs", async () => {
    const { layer, model } = modelFor(config);
    const names = model.weights.map((w) => w.originalName);
    expect(names.length).toBe(layer.encoder.trainableWeights.length + 1);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names.slice(0, -1)) expect(name.startsWith("scene/encoder/")).toBe(true);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const frames = tf.randomUniform([2, K, S, S, 3], 0, 1, "float32", 1);
    const poses = tf.randomNormal([2, K, 7], 0, 1, "float32", 2);
    const expected = model.predict([frames, poses]) as tf.Tensor;
    const actual = loaded.predict([frames, poses]) as tf.Tensor;
    expect(actual.shape).toEqual([2, ...layer.encoder.outputShape.slice(0, 2), 3]);
    expect(tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]).toBe(0);
    tf.dispose([frames, poses, expected, actual]);
    loaded.dispose();
    model.dispose();
  });

  it.skipIf(!hasBackward())("trains through the container: one Adam step lowers the loss, no leaks", () => {
    const { layer, model } = modelFor(config);
    const frames = tf.randomUniform([2, K, S, S, 3], 0, 1, "float32", 3);
    const poses = tf.randomNormal([2, K, 7], 0, 1, "float32", 4);
    const target = tf.randomUniform([2, ...layer.encoder.outputShape.slice(0, 2), 3], 0, 1, "float32", 5);
    // Small steps: any descent direction lowers a smooth loss then, whatever the seeded init.
    const optimizer = tf.train.adam(1e-3);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () =>
      tf.mean(tf.square(tf.sub(model.apply([frames, poses]) as tf.Tensor, target))) as tf.Scalar;
    const step = () => {
      const value = optimizer.minimize(loss, true, variables) as tf.Scalar;
      const v = value.dataSync()[0] ?? Number.NaN;
      value.dispose();
      return v;
    };
    const first = step(); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < 3; i++) step();
    const last = tf.tidy(() => loss().dataSync()[0] ?? Number.NaN);
    expect(last).toBeLessThan(first);
    tf.dispose([frames, poses, target]);
    optimizer.dispose();
    model.dispose();
  });
});
