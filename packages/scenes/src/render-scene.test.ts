import { describe, expect, it } from "vitest";
import { cameraLookAt } from "./camera.js";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderScene, renderView } from "./render-scene.js";
import type { Scene } from "./scene.js";
import { SCENE_KINDS, type SceneKind } from "./scene-kinds.js";

const KINDS = Object.keys(SCENE_KINDS) as SceneKind[];
const at = (frame: Uint8Array, size: number, row: number, col: number): number[] =>
  Array.from(frame.subarray((row * size + col) * 3, (row * size + col) * 3 + 3));
const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number =>
  a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;

const lighting = { direction: [0, 1, 0] as const, intensity: 0.5, ambient: 0.5, shadows: true };

describe("renderView", () => {
  it("projects a sphere to the disc that perspective geometry predicts", () => {
    const radius = 0.5;
    const distance = 3;
    const fovY = Math.PI / 3;
    const scene: Scene = {
      objects: [{ shape: "sphere", center: [0, 0, 0], radius, color: [1, 0, 0] }],
      lighting: { ...lighting, direction: [0, 0, 1] }, // from behind the camera
      background: [0, 0, 0],
      fovY,
    };
    const size = 128;
    const frame = renderView(scene, cameraLookAt([0, 0, distance], [0, 0, 0]), { frameSize: size });
    let covered = 0;
    for (let i = 0; i < size * size; i++) if (frame[i * 3]! > 0) covered++;
    // The silhouette's angular radius is asin(r / d); on the image plane, tan of that over tan(fov / 2).
    const discRadius = Math.tan(Math.asin(radius / distance)) / Math.tan(fovY / 2);
    const expected = (Math.PI * discRadius ** 2) / 4;
    expect(covered / (size * size)).toBeCloseTo(expected, 2);
    expect(at(frame, size, size / 2, size / 2)[0]).toBeGreaterThan(200); // red centre, lit
    expect(at(frame, size, 0, 0)).toEqual([0, 0, 0]);
  });

  it("draws cylinders and cones with the silhouettes their shapes have (rectangle, triangle, disc)", () => {
    // A far camera with a narrow field of view is nearly orthographic: the image spans 2 x 2 units.
    const distance = 200;
    const fovY = 2 * Math.atan(1 / distance);
    const coverage = (scene: Scene, position: readonly [number, number, number]): number => {
      const size = 200;
      const frame = renderView(scene, cameraLookAt(position, [0, 0, 0]), { frameSize: size });
      let covered = 0;
      for (let i = 0; i < size * size; i++) if (frame[i * 3]! > 0) covered++;
      return covered / (size * size);
    };
    const solid = (shape: "cylinder" | "cone"): Scene => ({
      objects: [{ shape, base: [0, -0.5, 0], radius: 0.5, height: 1, color: [1, 1, 1] }],
      lighting: { direction: [0, 0, 1], intensity: 0, ambient: 1, shadows: false },
      background: [0, 0, 0],
      fovY,
    });
    expect(coverage(solid("cylinder"), [0, 0, distance])).toBeCloseTo(1 / 4, 2); // 1 x 1 of 2 x 2
    expect(coverage(solid("cone"), [0, 0, distance])).toBeCloseTo(1 / 8, 2); // half of that
    expect(coverage(solid("cylinder"), [0, distance, 0.001])).toBeCloseTo(Math.PI / 16, 2); // disc r 0.5
    expect(coverage(solid("cone"), [0, -distance, 0.001])).toBeCloseTo(Math.PI / 16, 2); // its base from below
  });

  it("puts +y at the top of the image and the camera's right at the image's right", () => {
    // Looking along +x (yaw 0): the image's right is +z and its top is +y.
    const scene: Scene = {
      objects: [
        { shape: "box", center: [0, 0.6, 0], halfSize: [0.2, 0.2, 0.2], color: [1, 0, 0] },
        { shape: "box", center: [0, 0, 0.6], halfSize: [0.2, 0.2, 0.2], color: [0, 1, 0] },
      ],
      lighting: { ...lighting, shadows: false },
      background: [0, 0, 0],
      fovY: Math.PI / 2,
    };
    const size = 64;
    const frame = renderView(scene, cameraLookAt([-3, 0, 0], [0, 0, 0]), { frameSize: size });
    const red = at(frame, size, Math.round(size / 2 - (0.6 / 3) * (size / 2)), size / 2);
    const green = at(frame, size, size / 2, Math.round(size / 2 + (0.6 / 3) * (size / 2)));
    expect(red[0]).toBeGreaterThan(100);
    expect(red[1]).toBe(0);
    expect(green[1]).toBeGreaterThan(100);
    expect(green[0]).toBe(0);
  });

  it("lights faces towards the light brighter, and shadows what an object hides from the light", () => {
    const scene: Scene = {
      objects: [{ shape: "box", center: [0, 0.5, 0], halfSize: [0.5, 0.5, 0.5], color: [1, 1, 1] }],
      room: { halfSize: 3.5, wallHeight: 2.5, wallColor: [1, 1, 1], floorColor: [1, 1, 1], floorTile: 100 },
      lighting: { direction: [0, 1, 0], intensity: 0.5, ambient: 0.4, shadows: true },
      background: [0, 0, 1],
      fovY: Math.PI / 3,
    };
    const size = 64;
    // From above: the box top (lit, 0.9) and the floor around it (lit, 0.9); from the side: the box side (0.4).
    const top = renderView(scene, cameraLookAt([0, 3, 0.001], [0, 0, 0]), { frameSize: size });
    expect(at(top, size, 32, 32)[0]).toBe(Math.round(0.9 * 255));
    const side = renderView(scene, cameraLookAt([3, 0.5, 0], [0, 0.5, 0]), { frameSize: size });
    expect(at(side, size, 32, 32)[0]).toBe(Math.round(0.4 * 255));
    // A light straight above shadows nothing visible from above but the floor under the box; tilt it.
    const tilted: Scene = { ...scene, lighting: { ...scene.lighting, direction: [1, 1, 0] } };
    const shadowed = renderView(tilted, cameraLookAt([0, 3, 0.001], [0, 0, 0]), { frameSize: size });
    // Seen from above (yaw -pi/2), world +x is the image's right. The light comes from +x, so the floor
    // at x = -1.1 lies in the box's shadow (ambient only) and the floor at x = +1.1 is lit.
    const unshadowed = renderView(
      { ...tilted, lighting: { ...tilted.lighting, shadows: false } },
      cameraLookAt([0, 3, 0.001], [0, 0, 0]),
      { frameSize: size },
    );
    const offset = Math.round((1.1 / 3 / Math.tan(Math.PI / 6)) * 32);
    const lit = 0.4 + 0.5 / Math.SQRT2;
    const inShadow = at(shadowed, size, 32, 32 - offset)[0]!;
    expect(inShadow / at(unshadowed, size, 32, 32 - offset)[0]!).toBeCloseTo(0.4 / lit, 2);
    expect(at(shadowed, size, 32, 32 + offset)).toEqual(at(unshadowed, size, 32, 32 + offset));
    expect(at(shadowed, size, 32, 32 + offset)[0]).toBe(Math.round(lit * 255));
  });

  it("sees the sky over the walls and the floor below the horizon in a room", () => {
    const { scene } = generateScene("rooms_ring_camera", 3);
    const size = 32;
    const frame = renderView(scene, cameraLookAt([3, 1, 0], [0, 2.5, 0]), { frameSize: size });
    expect(at(frame, size, 0, 16)).toEqual(scene.background.map((c) => Math.round(c * 255)));
    const down = renderView(scene, cameraLookAt([3, 1, 0], [2.5, 0, 0]), { frameSize: size });
    expect(at(down, size, 16, 16)).not.toEqual(scene.background.map((c) => Math.round(c * 255)));
  });

  it("anti-aliases: supersampled edges take intermediate values, flat regions stay the same", () => {
    const { scene, cameras } = generateScene("shepard_metzler_5_parts", 11);
    const plain = renderView(scene, cameras.subarray(0, 5), { frameSize: 32 });
    const smooth = renderView(scene, cameras.subarray(0, 5), { frameSize: 32, supersample: 3 });
    expect(meanAbsDiff(plain, smooth)).toBeGreaterThan(0);
    expect(meanAbsDiff(plain, smooth)).toBeLessThan(20);
    const values = (frame: Uint8Array): number => new Set(frame).size;
    expect(values(smooth)).toBeGreaterThan(values(plain));
  });

  it("validates its options", () => {
    const { scene, cameras } = generateScene("shepard_metzler_5_parts", 1);
    expect(() => renderView(scene, cameras, { frameSize: 0 })).toThrow(
      "renderView: frameSize must be a positive integer, but got 0.",
    );
    expect(() => renderView(scene, cameras, { supersample: 9 })).toThrow(/supersample/);
    expect(() => renderView(scene, cameras, { frameSize: 8 }, new Uint8Array(10))).toThrow(
      /out must have length 192/,
    );
    expect(() => renderScene(scene, [1, 2, 3])).toThrow(/views \* 5/);
  });
});

describe.each(KINDS)("%s", (kind) => {
  const { views } = SCENE_KINDS[kind];

  it("is deterministic by seed and differs between seeds", () => {
    const a = generateScene(kind, 7);
    const b = generateScene(kind, 7);
    const c = generateScene(kind, 8);
    expect(b.scene).toEqual(a.scene);
    expect(b.cameras).toEqual(a.cameras);
    expect(c.cameras).not.toEqual(a.cameras);
    expect(a.cameras.length).toBe(views * 5);
    const framesA = renderScene(a.scene, a.cameras, { frameSize: 16 });
    const framesB = renderScene(b.scene, b.cameras, { frameSize: 16 });
    expect(framesB).toEqual(framesA);
  });

  it("renders frames that are not blank and that change with the camera", () => {
    const size = 32;
    for (const seed of [1, 2, 3]) {
      const { scene, cameras } = generateScene(kind, sceneSeed(0, "train", seed));
      const frames = renderScene(scene, cameras, { frameSize: size });
      expect(frames).toHaveLength(views);
      const background = scene.background.map((c) => Math.round(c * 255));
      for (const frame of frames) {
        let notBackground = 0;
        for (let i = 0; i < size * size; i++) {
          if (
            frame[i * 3] !== background[0] ||
            frame[i * 3 + 1] !== background[1] ||
            frame[i * 3 + 2] !== background[2]
          ) {
            notBackground++;
          }
        }
        // Something is in view, and it does not fill the whole frame.
        expect(notBackground / (size * size)).toBeGreaterThan(0.03);
        expect(notBackground / (size * size)).toBeLessThan(1);
      }
      for (let v = 1; v < views; v++) expect(meanAbsDiff(frames[v]!, frames[0]!)).toBeGreaterThan(1);
    }
  });
});

describe("sceneSeed", () => {
  it("gives distinct seeds to scenes, splits and dataset seeds", () => {
    const seeds = new Set<number>();
    for (const split of ["train", "test"] as const) {
      for (let i = 0; i < 500; i++) seeds.add(sceneSeed(0, split, i));
    }
    seeds.add(sceneSeed(1, "train", 0));
    expect(seeds.size).toBe(1001);
  });
});
