import { cameraToPose } from "@gqn/data";
import { cameraLookAt } from "@gqn/scenes";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { encodeGif, orbitPoses } from "./render.js";

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

describe("encodeGif", () => {
  it("writes a looping GIF89a with one frame per image", () => {
    const frame = (value: number) => ({ width: 4, height: 2, data: new Uint8Array(24).fill(value) });
    const gif = encodeGif([frame(0), frame(128), frame(255)]);
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe("GIF89a");
    expect(new DataView(gif.buffer, gif.byteOffset + 6, 4).getUint16(0, true)).toBe(4); // width
    expect(new TextDecoder("latin1").decode(gif)).toContain("NETSCAPE2.0"); // loop extension
    // One graphic control extension (0x21 0xF9) per frame.
    let controls = 0;
    for (let i = 0; i + 1 < gif.length; i++) if (gif[i] === 0x21 && gif[i + 1] === 0xf9) controls++;
    expect(controls).toBe(3);
    expect(() => encodeGif([frame(0), { width: 2, height: 2, data: new Uint8Array(12) }])).toThrow(
      /frame 1 is 2x2/,
    );
  });

  it("encodes each frame's own pixels: the size grows with the frames, not with their square", () => {
    // Noisy 16x16 frames (LZW cannot fold them), each different.
    const noisy = (seed: number) => ({
      width: 16,
      height: 16,
      data: Uint8Array.from(
        { length: 16 * 16 * 3 },
        (_, i) => (Math.imul(i + 1, 2654435761 + seed) >>> 24) & 0xff,
      ),
    });
    const frames = Array.from({ length: 12 }, (_, i) => noisy(i));
    const one = encodeGif(frames.slice(0, 1)).length;
    const twelve = encodeGif(frames).length;
    // Each frame after the first adds about one frame's bytes; a frame holding all the frames
    // after it (the subarray bug) made twelve frames cost ~78 of them.
    expect(twelve).toBeLessThan(14 * one);
  });
});
