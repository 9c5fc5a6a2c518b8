import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { cameraToPose } from "./pose.js";
import { type InMemoryScene, scenesToArrays, scenesToTensors } from "./scene-tensors.js";

/** A 2x2 frame whose every byte is `value`. */
const frame = (value: number) => new Uint8Array(2 * 2 * 3).fill(value);
const cameras = [
  [1, 2, 3, 0.5, -0.25],
  [4, 5, 6, 1, 0],
  [-1, 0, 1, -2, 0.75],
];
const scene: InMemoryScene = { frames: [frame(0), frame(51), frame(255)], cameras };

describe("scenesToArrays", () => {
  it("puts context frames and poses, the query pose and the target where the model reads them", () => {
    const a = scenesToArrays([scene], { context: [2, 0], query: 1 });
    expect(a.shape).toEqual([1, 2, 2]);
    expect([...a.contextFrames.subarray(0, 12)]).toEqual(new Array(12).fill(1));
    expect([...a.contextFrames.subarray(12)]).toEqual(new Array(12).fill(0));
    expect([...(a.target ?? [])]).toEqual(new Array(12).fill(Math.fround(0.2)));
    expect(a.contextPoses).toEqual(
      Float32Array.from([...cameraToPose(cameras[2] as number[]), ...cameraToPose(cameras[0] as number[])]),
    );
    expect(a.queryPose).toEqual(cameraToPose(cameras[1] as number[]));
  });

  it("reads cameras view-major too, float and RgbImage frames, and resizes byte frames", () => {
    const flat = scenesToArrays(
      [
        {
          frames: [{ width: 2, height: 2, data: frame(255) }, new Float32Array(12).fill(0.5)],
          cameras: Float32Array.from(cameras.slice(0, 2).flat()),
        },
      ],
      { context: [0], query: 1 },
    );
    expect([...flat.contextFrames]).toEqual(new Array(12).fill(1));
    expect([...(flat.target ?? [])]).toEqual(new Array(12).fill(0.5));
    const resized = scenesToArrays([scene], { context: [1], query: 2 }, { frameSize: 3 });
    expect(resized.shape).toEqual([1, 1, 3]);
    expect(resized.contextFrames).toHaveLength(27);
    for (const v of resized.contextFrames) expect(v).toBeCloseTo(0.2, 6);
  });

  it("has no target when the query is a camera to render", () => {
    const a = scenesToArrays([scene, scene], { context: [0, 1], query: [0, 0, 0, 0, 0] });
    expect(a.target).toBeUndefined();
    expect([...a.queryPose]).toEqual([0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
  });

  it("names the scene, view and shape at fault", () => {
    expect(() => scenesToArrays([scene], { context: [0, 7], query: 1 })).toThrow(
      "scenesToArrays: scene 0: context view 7 has no frame (the scene has 3).",
    );
    expect(() =>
      scenesToArrays([{ frames: [frame(0), new Uint8Array(5)], cameras }], { context: [1], query: 0 }),
    ).toThrow("scenesToArrays: scene 0: a frame must hold S * S * 3 values (a square RGB image), but got 5.");
    expect(() =>
      scenesToArrays(
        [scene, scene],
        [
          { context: [0], query: 1 },
          { context: [0, 1], query: 2 },
        ],
      ),
    ).toThrow(
      "scenesToArrays: scene 1: every scene must have the same number of context views (1), but got 2.",
    );
    expect(() =>
      scenesToArrays([{ frames: scene.frames, cameras: [1, 2, 3] }], { context: [0], query: 1 }),
    ).toThrow(
      "scenesToArrays: scene 0: cameras must hold 5 numbers per view [x, y, z, yaw, pitch], but got 3.",
    );
    expect(() =>
      scenesToArrays(
        [scene, scene],
        [
          { context: [0], query: 1 },
          { context: [0], query: [0, 0, 0, 0, 0] },
        ],
      ),
    ).toThrow(/either every query or none must be a view with a frame/);
    const nanCameras = cameras.flat();
    nanCameras[5 + 3] = Number.NaN;
    expect(() =>
      scenesToArrays([{ frames: scene.frames, cameras: nanCameras }], { context: [0], query: 1 }),
    ).toThrow(
      /scenesToArrays: scene 0: the camera of view 1 must be finite numbers \[x, y, z, yaw, pitch\], but got \[.*, NaN, .*\]/,
    );
  });
});

describe("scenesToTensors", () => {
  it("makes the model's tensors, disposed by one call", async () => {
    const before = tf.memory().numTensors;
    const t = await scenesToTensors([scene, scene], { context: [0, 2], query: 1 });
    expect(t.contextFrames.shape).toEqual([2, 2, 2, 2, 3]);
    expect(t.contextPoses.shape).toEqual([2, 2, 7]);
    expect(t.queryPose.shape).toEqual([2, 7]);
    expect(t.target?.shape).toEqual([2, 2, 2, 3]);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
