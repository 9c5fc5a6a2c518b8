import { isGqnError } from "@gqn/core";
import { cameraBasis, cameraLookAt } from "@gqn/scenes";
import { describe, expect, it } from "vitest";
import { cameraToOrbit, dragOrbit, MAX_PITCH, orbitToCamera, wrapAngle } from "./orbit-camera.js";

describe("orbit camera", () => {
  it("stores the same camera as @gqn/scenes' cameraLookAt towards the origin", () => {
    for (const orbit of [
      { yaw: 0.3, pitch: -0.4, distance: 2 },
      { yaw: -2.9, pitch: 1.1, distance: 1.5 },
      { yaw: 3, pitch: 0, distance: 3 },
    ]) {
      const camera = orbitToCamera(orbit);
      const expected = cameraLookAt([camera[0]!, camera[1]!, camera[2]!], [0, 0, 0]);
      for (let i = 0; i < 5; i++) expect(camera[i]).toBeCloseTo(expected[i]!, 5);
      // The basis @gqn/scenes renders with points at the origin.
      const { position, forward } = cameraBasis(camera);
      const toOrigin = position.map((p) => -p / orbit.distance);
      for (let i = 0; i < 3; i++) expect(forward[i]).toBeCloseTo(toOrigin[i]!, 5);
    }
  });

  it("round-trips through cameraToOrbit", () => {
    const orbit = { yaw: -1.2, pitch: 0.5, distance: 2 };
    const back = cameraToOrbit(orbitToCamera(orbit));
    expect(back.yaw).toBeCloseTo(orbit.yaw, 5);
    expect(back.pitch).toBeCloseTo(orbit.pitch, 5);
    expect(back.distance).toBeCloseTo(orbit.distance, 5);
  });

  it("drags: horizontal moves yaw only, vertical pitch only, clamped off the poles", () => {
    const start = { yaw: 0, pitch: 0, distance: 2 };
    const right = dragOrbit(start, 50, 0);
    expect(right.yaw).not.toBeCloseTo(0, 3);
    expect(right.pitch).toBe(0);
    const down = dragOrbit(start, 0, 10_000);
    expect(down.yaw).toBe(0);
    expect(down.pitch).toBe(-MAX_PITCH);
    expect(dragOrbit(start, 0, -10_000).pitch).toBe(MAX_PITCH);
  });

  it("wraps yaw to (-pi, pi]", () => {
    expect(wrapAngle(Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngle(-Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngle(3 * Math.PI + 0.5)).toBeCloseTo(-Math.PI + 0.5, 12);
  });

  it("rejects a short camera, a camera at the origin and a non-positive distance", () => {
    expect(() => cameraToOrbit([1, 2, 3, 0, 0], 1)).toThrow(/5 floats/);
    expect(() => cameraToOrbit([0, 0, 0, 0, 0])).toThrow(/must not sit at the origin/);
    try {
      orbitToCamera({ yaw: 0, pitch: 0, distance: 0 });
      expect.unreachable();
    } catch (error) {
      expect(isGqnError(error, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});
