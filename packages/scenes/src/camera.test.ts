import { describe, expect, it } from "vitest";
import { cameraBasis, cameraLookAt } from "./camera.js";

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("cameraLookAt and cameraBasis", () => {
  it("follow the documented conventions: y up, yaw 0 looks along +x, yaw pi/2 along +z, pitch > 0 looks up", () => {
    const [, , , yaw0, pitch0] = cameraLookAt([0, 0, 0], [5, 0, 0]);
    expect(yaw0).toBeCloseTo(0, 6);
    expect(pitch0).toBeCloseTo(0, 6);
    const [, , , yawZ] = cameraLookAt([0, 0, 0], [0, 0, 3]);
    expect(yawZ).toBeCloseTo(Math.PI / 2, 6);
    const [, , , , pitchUp] = cameraLookAt([0, 0, 0], [1, 1, 0]);
    expect(pitchUp).toBeCloseTo(Math.PI / 4, 6);
    const [, , , , pitchDown] = cameraLookAt([0, 2, 0], [1, 0, 0]);
    expect(pitchDown).toBeLessThan(0);
  });

  it("round-trips: the basis of a stored camera looks at the target, with an orthonormal right-handed frame", () => {
    const position = [1.2, 0.7, -1.4] as const;
    const target = [0.1, -0.2, 0.3] as const;
    const camera = cameraLookAt(position, target);
    expect(camera.every((x) => Math.fround(x) === x)).toBe(true);
    const { forward, right, up } = cameraBasis(camera);
    const toTarget = target.map((t, i) => t - position[i]!);
    const norm = Math.hypot(...toTarget);
    toTarget.forEach((x, i) => {
      expect(forward[i]).toBeCloseTo(x / norm, 6);
    });
    for (const v of [forward, right, up]) expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    expect(dot(forward, right)).toBeCloseTo(0, 12);
    expect(dot(forward, up)).toBeCloseTo(0, 12);
    expect(dot(right, up)).toBeCloseTo(0, 12);
    expect(right[1]).toBe(0); // no roll
    expect(up[1]).toBeGreaterThan(0); // the image's top is the world's up side
    // right x up = -forward (x right, y up, looking down -z in camera space)
    const cross = [
      right[1] * up[2] - right[2] * up[1],
      right[2] * up[0] - right[0] * up[2],
      right[0] * up[1] - right[1] * up[0],
    ];
    cross.forEach((x, i) => {
      expect(x).toBeCloseTo(-forward[i]!, 12);
    });
  });

  it("rejects a camera looking at itself and a short camera vector", () => {
    expect(() => cameraLookAt([1, 1, 1], [1, 1, 1])).toThrow(/must differ/);
    expect(() => cameraBasis([1, 2, 3])).toThrow(/5 floats/);
  });
});
