import { cameraToPose } from "@gqn/data";
import { cameraLookAt } from "@gqn/scenes";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { testBatch, tinyConfig } from "../test/model-fixtures.js";
import { GqnModel } from "./gqn-model.js";
import { toRgbImages } from "./images.js";
import { orbitPoses, renderOrbit } from "./orbit.js";

describe("orbitPoses", () => {
  it("circles the scene at the context cameras' radius and height, always looking at the centre", async () => {
    // Two context cameras at radius 2, height 1 (y up), looking at the origin.
    const look = (x: number, y: number, z: number) =>
      cameraToPose([x, y, z, Math.atan2(-z, -x), Math.atan2(-y, Math.hypot(x, z))]);
    const context = tf.tensor2d([...look(2, 1, 0), ...look(0, 1, 2)], [2, 7]);
    const before = tf.memory().numTensors;
    const poses = await orbitPoses(context, { frames: 4 });
    expect(tf.memory().numTensors).toBe(before + 1);
    const p = poses.arraySync();
    // Starts at the first context camera, a quarter turn per frame (towards +z).
    for (const [i, expected] of [look(2, 1, 0), look(0, 1, 2), look(-2, 1, 0), look(0, 1, -2)].entries()) {
      for (let j = 0; j < 7; j++) expect(p[i]?.[j]).toBeCloseTo(expected[j] as number, 5);
    }
    tf.dispose([context, poses]);
  });

  it("agrees with @gqn/scenes' cameras: each orbit pose is the camera that looks at the centre from there", async () => {
    // Context cameras as a synthetic record stores them (Shepard-Metzler: on a sphere of radius 2).
    const cameras = [cameraLookAt([1.2, 0.9, -1.3], [0, 0, 0]), cameraLookAt([-1.5, 0.7, 1.1], [0, 0, 0])];
    const context = tf.tensor3d([cameras.flatMap((c) => Array.from(cameraToPose(c)))].flat(), [1, 2, 7]);
    const orbit = await orbitPoses(context, { frames: 6 });
    const poses = orbit.arraySync();
    for (const pose of poses) {
      const [x, y, z] = pose as [number, number, number];
      const expected = cameraToPose(cameraLookAt([x, y, z], [0, 0, 0]));
      for (let j = 0; j < 7; j++) expect(pose[j]).toBeCloseTo(expected[j] as number, 5);
    }
    tf.dispose([context, orbit]);
  });

  it("rejects a bad frame count or pose shape", async () => {
    const poses = tf.zeros([2, 5]);
    const one = tf.zeros([1, 7]);
    await expect(orbitPoses(poses, { frames: 3 })).rejects.toThrow(
      /must have shape \[K, 7\] or \[1, K, 7\], but got \[2, 5\]/,
    );
    await expect(orbitPoses(one, { frames: 0 })).rejects.toThrow(/frames must be a positive integer/);
    tf.dispose([poses, one]);
  });
});

describe("renderOrbit", () => {
  it("represents the scene once and renders every frame as the model renders its pose, leaking nothing", async () => {
    const model = GqnModel.create(tinyConfig(), { seed: 3 });
    const batch = testBatch(1, 3, 16, 21);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const images = await renderOrbit(model, batch.contextFrames, batch.contextPoses, {
      frames: 5,
      seed: 4,
      onFrame: (done) => progress.push(done),
    });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(tf.memory().numTensors).toBe(before);
    expect(images.map((image) => [image.width, image.height, image.data.length])).toEqual(
      Array.from({ length: 5 }, () => [16, 16, 16 * 16 * 3]),
    );
    // Frame 3 is the prior's rendering of the fourth orbit pose with the orbit's seed: the same
    // latents as every other frame.
    const poses = await orbitPoses(batch.contextPoses, { frames: 5 });
    const rendered = tf.tidy(() => {
      const r = model.represent(batch.contextFrames, batch.contextPoses);
      return model.render(r, tf.slice(poses, [3, 0], [1, 7]) as tf.Tensor2D, { seed: 4 });
    });
    const [expected] = await toRgbImages(rendered);
    tf.dispose([poses, rendered]);
    expect(Array.from(images[3]?.data ?? [])).toEqual(Array.from(expected?.data ?? []));
    await expect(renderOrbit(model, batch.contextFrames, batch.contextPoses, { frames: 0 })).rejects.toThrow(
      /frames must be a positive integer/,
    );
    batch.dispose();
    model.dispose();
  });
});
