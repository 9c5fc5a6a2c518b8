import { cameraToPose } from "@gqn/data";
import { cameraLookAt } from "@gqn/scenes";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { orbitPoses } from "./orbit.js";

describe("orbitPoses", () => {
  it("circles the scene at the context cameras' radius and height, always looking at the centre", () => {
    // Two context cameras at radius 2, height 1 (y up), looking at the origin.
    const look = (x: number, y: number, z: number) =>
      cameraToPose([x, y, z, Math.atan2(-z, -x), Math.atan2(-y, Math.hypot(x, z))]);
    const context = tf.tensor2d([...look(2, 1, 0), ...look(0, 1, 2)], [2, 7]);
    const before = tf.memory().numTensors;
    const poses = orbitPoses(context, { frames: 4 });
    expect(tf.memory().numTensors).toBe(before + 1);
    const p = poses.arraySync();
    // Starts at the first context camera, a quarter turn per frame (towards +z).
    for (const [i, expected] of [look(2, 1, 0), look(0, 1, 2), look(-2, 1, 0), look(0, 1, -2)].entries()) {
      for (let j = 0; j < 7; j++) expect(p[i]?.[j]).toBeCloseTo(expected[j] as number, 5);
    }
    tf.dispose([context, poses]);
  });

  it("agrees with @gqn/scenes' cameras: each orbit pose is the camera that looks at the centre from there", () => {
    // Context cameras as a synthetic record stores them (Shepard-Metzler: on a sphere of radius 2).
    const cameras = [cameraLookAt([1.2, 0.9, -1.3], [0, 0, 0]), cameraLookAt([-1.5, 0.7, 1.1], [0, 0, 0])];
    const context = tf.tensor3d([cameras.flatMap((c) => Array.from(cameraToPose(c)))].flat(), [1, 2, 7]);
    const poses = orbitPoses(context, { frames: 6 }).arraySync();
    for (const pose of poses) {
      const [x, y, z] = pose as [number, number, number];
      const expected = cameraToPose(cameraLookAt([x, y, z], [0, 0, 0]));
      for (let j = 0; j < 7; j++) expect(pose[j]).toBeCloseTo(expected[j] as number, 5);
    }
    context.dispose();
  });

  it("rejects a bad frame count or pose shape", () => {
    const poses = tf.zeros([2, 5]);
    expect(() => orbitPoses(poses, { frames: 3 })).toThrow(
      /must have shape \[K, 7\] or \[1, K, 7\], but got \[2, 5\]/,
    );
    expect(() => orbitPoses(tf.zeros([1, 7]), { frames: 0 })).toThrow(/frames must be a positive integer/);
    poses.dispose();
  });
});
