import { isGqnError } from "@gqn/core";
import { GqnModel, getPreset } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterEach, describe, expect, it } from "vitest";
import { createStandInGqnModel, saveToMemory } from "../test/stand-in-model.js";
import { RENDER_SEED, SceneRenderer } from "./scene-renderer.js";

const pose = (yaw: number) => [2, 0, 0, Math.sin(yaw), Math.cos(yaw), 0, 1];

function context(k: number, size: number) {
  return {
    frames: tf.randomUniform([k, size, size, 3], 0, 1, "float32", 5) as tf.Tensor4D,
    poses: tf.randomUniform([k, 7], -1, 1, "float32", 6) as tf.Tensor2D,
  };
}

describe("SceneRenderer", () => {
  let renderer: SceneRenderer | undefined;
  afterEach(() => {
    renderer?.dispose();
    renderer = undefined;
  });

  it("reads frame size and context size from the model", () => {
    renderer = new SceneRenderer(createStandInGqnModel({ frameSize: 16, contextSize: 3 }));
    expect(renderer.frameSize).toBe(16);
    expect(renderer.contextSize).toBe(3);
  });

  it("renders [H, W, 3] in [0, 1] that depends on the query pose, without leaking", () => {
    renderer = new SceneRenderer(createStandInGqnModel({ frameSize: 16 }));
    expect(renderer.contextSize).toBeNull();
    const { frames, poses } = context(4, 32); // 32 px frames: resized to the model's 16
    // One warm-up render: tfjs-layers caches a few tensors on a model's first call.
    renderer.setScene(frames, poses);
    tf.dispose(renderer.render(pose(0)));
    renderer.clearScene();
    const before = tf.memory().numTensors;
    renderer.setScene(frames, poses);
    const a = renderer.render(pose(0));
    const b = renderer.render(pose(1.5));
    expect(a.shape).toEqual([16, 16, 3]);
    const [min, max] = [tf.min(a), tf.max(a)];
    expect(min.dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(max.dataSync()[0]).toBeLessThanOrEqual(1);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
    expect(diff.dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([a, b, min, max, diff]);
    renderer.clearScene();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([frames, poses]);
  });

  it("renders the same from a model reloaded from its saved files", async () => {
    const model = createStandInGqnModel({ frameSize: 16 });
    const artifacts = await saveToMemory(model);
    renderer = new SceneRenderer(model);
    const reloaded = new SceneRenderer(await tfl.loadLayersModel(tf.io.fromMemory(artifacts)));
    const { frames, poses } = context(2, 16);
    renderer.setScene(frames, poses);
    reloaded.setScene(frames, poses);
    const a = renderer.render(pose(0.3));
    const b = reloaded.render(pose(0.3));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, frames, poses]);
    reloaded.dispose();
  });

  it("rejects a wrong model, a wrong context and a render before setScene", () => {
    const x = tfl.input({ shape: [4] });
    const plain = tfl.model({
      inputs: x,
      outputs: tfl.layers.dense({ units: 2 }).apply(x) as tfl.SymbolicTensor,
    });
    expect(() => new SceneRenderer(plain)).toThrow(/the model must take context frames/);
    plain.dispose();
    renderer = new SceneRenderer(createStandInGqnModel({ frameSize: 16, contextSize: 3 }));
    try {
      renderer.render(pose(0));
      expect.unreachable();
    } catch (error) {
      expect(isGqnError(error, "INVALID_ARGUMENT")).toBe(true);
    }
    const { frames, poses } = context(2, 16);
    expect(() => renderer?.setScene(frames, poses)).toThrow(
      "SceneRenderer.setScene: this model takes exactly 3 context views, but got 2.",
    );
    const wrongPoses = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => renderer?.setScene(frames, wrongPoses)).toThrow(
      /poses must have shape \[2, 7\], but got \[2, 5\]/,
    );
    tf.dispose([frames, poses, wrongPoses]);
  });

  it("renders a reloaded GqnModel from a cached representation, as the model renders the whole scene", async () => {
    const gqn = GqnModel.create(getPreset("tiny").model, { seed: 3 });
    const artifacts = await saveToMemory(gqn.toLayersModel());
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    renderer = new SceneRenderer(reloaded);
    expect(renderer.cachesRepresentation).toBe(true);
    expect(renderer.frameSize).toBe(32);
    const { frames, poses } = context(3, 32);
    renderer.setScene(frames, poses);
    tf.dispose(renderer.render(pose(0))); // warm-up
    const before = tf.memory().numTensors;
    const image = renderer.render(pose(0.7));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(image.shape).toEqual([32, 32, 3]);
    // Uncached: the model represents the scene and renders the view in one go, same latents seed.
    const whole = tf.tidy(() => {
      const r = gqn.represent(
        tf.expandDims(frames, 0) as tf.Tensor5D,
        tf.expandDims(poses, 0) as tf.Tensor3D,
      );
      return gqn.render(r, tf.tensor2d([pose(0.7)]), { seed: RENDER_SEED });
    });
    const diff = tf.max(tf.abs(tf.sub(tf.squeeze(whole, [0]), image))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
    // The same camera gives the same picture (fixed seed); another camera another one.
    const again = renderer.render(pose(0.7));
    expect(tf.max(tf.abs(tf.sub(again, image))).dataSync()[0]).toBe(0);
    const elsewhere = renderer.render(pose(2.5));
    expect(tf.max(tf.abs(tf.sub(elsewhere, image))).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([image, whole, again, elsewhere, frames, poses]);
    gqn.dispose();
  });
});
