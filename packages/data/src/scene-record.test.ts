import { describe, expect, it } from "vitest";
import { CorruptRecordError } from "./errors.js";
import { encodeExample } from "./example.js";
import { camerasToPoses, cameraToPose } from "./pose.js";
import { decodeSceneRecord, encodeSceneRecord } from "./scene-record.js";

describe("scene records", () => {
  it("round-trip frames and cameras", () => {
    const scene = {
      frames: [Uint8Array.of(1), Uint8Array.of(2, 3)],
      cameras: Float32Array.from({ length: 10 }, (_, i) => i / 4),
    };
    expect(decodeSceneRecord(encodeSceneRecord(scene), { views: 2 })).toEqual(scene);
  });

  it("reject missing features, wrong kinds and wrong counts with clear errors", () => {
    const frames = { kind: "bytes" as const, value: [Uint8Array.of(1)] };
    const cameras = { kind: "float" as const, value: new Float32Array(5) };
    const bad =
      (features: Parameters<typeof encodeExample>[0], options = {}) =>
      () =>
        decodeSceneRecord(encodeExample(features), options);
    expect(bad({ cameras })).toThrow(/Example has no "frames" feature \(features: cameras\)/);
    expect(bad({ frames })).toThrow(/no "cameras" feature/);
    expect(bad({ frames, cameras: { kind: "int64", value: new BigInt64Array(5) } })).toThrow(
      /"cameras" must be a float list/,
    );
    expect(bad({ frames, cameras: { kind: "float", value: new Float32Array(4) } })).toThrow(
      /expected 5 camera values/,
    );
    expect(bad({ frames, cameras }, { views: 3 })).toThrow(/expected 3 frames, but got 1/);
    expect(bad({ frames, cameras }, { views: 3 })).toThrow(CorruptRecordError);
  });
});

describe("cameraToPose", () => {
  it("gives [x, y, z, sin yaw, cos yaw, sin pitch, cos pitch] (hand-computed values)", () => {
    // yaw = pi/6: sin 0.5, cos sqrt(3)/2; pitch = -pi/4: sin -sqrt(2)/2, cos sqrt(2)/2.
    const pose = cameraToPose([1, -2, 0.5, Math.PI / 6, -Math.PI / 4]);
    const expected = [1, -2, 0.5, 0.5, Math.sqrt(3) / 2, -Math.SQRT1_2, Math.SQRT1_2];
    for (let i = 0; i < 7; i++) expect(pose[i]).toBeCloseTo(expected[i] as number, 6);
    const zero = cameraToPose([0, 0, 0, 0, 0]);
    expect([...zero]).toEqual([0, 0, 0, 0, 1, 0, 1]);
    const back = cameraToPose([0, 0, 0, Math.PI, Math.PI / 2]);
    expect(back[3]).toBeCloseTo(0, 6);
    expect(back[4]).toBeCloseTo(-1, 6);
    expect(back[5]).toBeCloseTo(1, 6);
    expect(back[6]).toBeCloseTo(0, 6);
  });

  it("maps frame-major cameras to frame-major poses", () => {
    const poses = camerasToPoses(Float32Array.of(1, 2, 3, 0, 0, 4, 5, 6, Math.PI / 2, 0), 2);
    expect(poses).toHaveLength(14);
    expect([...poses.subarray(0, 7)]).toEqual([1, 2, 3, 0, 1, 0, 1]);
    expect(poses[7]).toBe(4);
    expect(poses[10]).toBeCloseTo(1, 6);
    expect(() => camerasToPoses(new Float32Array(9), 2)).toThrow(/must have 10 values/);
  });
});
