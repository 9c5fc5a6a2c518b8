import { Random } from "@gqn/core";
import { describe, expect, it } from "vitest";
import { cameraBasis } from "./camera.js";
import { generateScene } from "./generate-scene.js";
import { ROOMS_DEFAULTS, ringCameras } from "./rooms-ring-camera.js";
import { randomWalkCells, SHEPARD_METZLER_DEFAULTS, sphereCameras } from "./shepard-metzler.js";

describe("Shepard-Metzler", () => {
  it("joins cubes face to face by a self-avoiding walk", () => {
    const random = new Random(5);
    for (let trial = 0; trial < 200; trial++) {
      const cells = randomWalkCells(random, 7);
      expect(cells).toHaveLength(7);
      expect(new Set(cells.map((c) => c.join(","))).size).toBe(7);
      for (let i = 1; i < cells.length; i++) {
        const step = cells[i]!.map((x, axis) => Math.abs(x - cells[i - 1]![axis]!));
        expect(step.reduce((s, x) => s + x, 0)).toBe(1);
      }
    }
  });

  it("centres unit-grid cubes of edge 0.25 on the origin, one saturated colour each", () => {
    for (const [kind, parts] of [
      ["shepard_metzler_5_parts", 5],
      ["shepard_metzler_7_parts", 7],
    ] as const) {
      const { scene } = generateScene(kind, 21);
      expect(scene.objects).toHaveLength(parts);
      const centre = [0, 0, 0];
      for (const object of scene.objects) {
        if (object.shape !== "box") throw new Error("expected boxes");
        expect(object.halfSize).toEqual([0.125, 0.125, 0.125]);
        object.center.forEach((x, axis) => {
          centre[axis]! += x / parts;
        });
        expect(Math.max(...object.color)).toBe(1);
        expect(Math.min(...object.color)).toBe(0);
      }
      for (const x of centre) expect(x).toBeCloseTo(0, 12);
      expect(scene.background).toEqual([0, 0, 0]);
    }
  });

  it("places cameras on the sphere of radius 2, looking at the centre, from all sides", () => {
    const cameras = sphereCameras(new Random(2), 400, SHEPARD_METZLER_DEFAULTS.cameraDistance);
    let above = 0;
    for (const camera of cameras) {
      const { position, forward } = cameraBasis(camera);
      expect(Math.hypot(...position)).toBeCloseTo(2, 5);
      position.forEach((x, i) => {
        expect(forward[i]).toBeCloseTo(-x / 2, 5);
      });
      if (position[1] > 0) above++;
    }
    expect(above).toBeGreaterThan(150);
    expect(above).toBeLessThan(250);
  });
});

describe("rooms_ring_camera", () => {
  it("puts 1-3 objects on distinct jittered grid cells, standing on the floor inside the room", () => {
    const counts = new Set<number>();
    const shapes = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const { scene } = generateScene("rooms_ring_camera", seed);
      counts.add(scene.objects.length);
      expect(scene.room?.halfSize).toBe(3.5);
      const cells = new Set<string>();
      for (const object of scene.objects) {
        shapes.add(object.shape);
        const [x, y, z] = object.shape === "box" || object.shape === "sphere" ? object.center : object.base;
        const bottom =
          object.shape === "box" ? y - object.halfSize[1] : object.shape === "sphere" ? y - object.radius : y;
        expect(bottom).toBeCloseTo(0, 12);
        const cell = [x, z].map((v) => Math.round(v / ROOMS_DEFAULTS.gridSpacing));
        for (const [v, c] of [
          [x, cell[0]!],
          [z, cell[1]!],
        ] as const) {
          expect(Math.abs(v - c * ROOMS_DEFAULTS.gridSpacing)).toBeLessThanOrEqual(ROOMS_DEFAULTS.jitter);
        }
        cells.add(cell.join(","));
      }
      expect(cells.size).toBe(scene.objects.length);
    }
    expect([...counts].sort()).toEqual([1, 2, 3]);
    expect([...shapes].sort()).toEqual(["box", "cone", "cylinder", "sphere"]);
  });

  it("puts cameras on a circle at height 1, inside the walls, facing the room's centre", () => {
    for (const camera of ringCameras(new Random(4), 100)) {
      const { position, forward } = cameraBasis(camera);
      expect(position[1]).toBeCloseTo(1, 6);
      expect(Math.hypot(position[0], position[2])).toBeCloseTo(ROOMS_DEFAULTS.cameraRadius, 5);
      // The horizontal viewing direction points at the centre.
      const h = Math.hypot(forward[0], forward[2]);
      expect(forward[0] / h).toBeCloseTo(-position[0] / ROOMS_DEFAULTS.cameraRadius, 5);
      expect(forward[2] / h).toBeCloseTo(-position[2] / ROOMS_DEFAULTS.cameraRadius, 5);
      expect(forward[1]).toBeLessThan(0);
    }
  });
});
