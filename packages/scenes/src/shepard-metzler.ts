import { checkInteger, type Random } from "@gqn/core";
import { type CameraVector, cameraLookAt } from "./camera.js";
import { saturatedPalette } from "./colors.js";
import type { BoxObject, Scene, Vec3 } from "./scene.js";

/** Construction-time settings of the Shepard-Metzler generator (JSON, defaults in {@link SHEPARD_METZLER_DEFAULTS}). */
export interface ShepardMetzlerConfig {
  /** Number of cubes. */
  parts: number;
  /** Edge of each cube, world units (GQN.md section 5: 0.25). */
  cubeSize: number;
  /** Radius of the camera sphere (GQN.md section 5: 2). */
  cameraDistance: number;
  /** Field of view, radians; at distance 2 it spans 1.26 units, so most objects fill half the frame or more. */
  fovY: number;
  /** Number of saturated hues a cube's colour is drawn from. */
  colors: number;
}

/** Defaults of {@link ShepardMetzlerConfig}; parts is set by the scene kind. */
export const SHEPARD_METZLER_DEFAULTS: Readonly<ShepardMetzlerConfig> = Object.freeze({
  parts: 5,
  cubeSize: 0.25,
  cameraDistance: 2,
  fovY: (35 * Math.PI) / 180,
  colors: 10,
});

const NEIGHBOURS: readonly Vec3[] = [
  [1, 0, 0],
  [-1, 0, 0],
  [0, 1, 0],
  [0, -1, 0],
  [0, 0, 1],
  [0, 0, -1],
];

/**
 * Grid cells of a self-avoiding random walk of `parts` steps: each cube is a face neighbour of the one
 * before, never on an occupied cell. (A 3-D walk cannot trap itself this short; a trap restarts it.)
 */
export function randomWalkCells(random: Random, parts: number): Vec3[] {
  checkInteger(parts, "randomWalkCells", "parts");
  for (;;) {
    const cells: Vec3[] = [[0, 0, 0]];
    const taken = new Set(["0,0,0"]);
    while (cells.length < parts) {
      const [x, y, z] = cells[cells.length - 1]!;
      const free = NEIGHBOURS.map(([a, b, c]): Vec3 => [x + a, y + b, z + c]).filter(
        (cell) => !taken.has(cell.join(",")),
      );
      if (free.length === 0) break;
      const next = free[random.int(free.length)]!;
      cells.push(next);
      taken.add(next.join(","));
    }
    if (cells.length === parts) return cells;
  }
}

/**
 * A Shepard-Metzler object: `parts` cubes joined face to face by a self-avoiding random walk, centred on
 * the origin (mean of the cube centres), one of `colors` saturated hues per cube, on black, lit by one
 * directional light plus ambient.
 */
export function createShepardMetzlerScene(random: Random, config: Partial<ShepardMetzlerConfig> = {}): Scene {
  const { parts, cubeSize, fovY, colors } = { ...SHEPARD_METZLER_DEFAULTS, ...config };
  const cells = randomWalkCells(random, parts);
  const mean = [0, 1, 2].map((axis) => cells.reduce((sum, cell) => sum + cell[axis]!, 0) / parts);
  const palette = saturatedPalette(colors);
  const half = cubeSize / 2;
  const objects: BoxObject[] = cells.map((cell) => ({
    shape: "box",
    center: [
      (cell[0] - mean[0]!) * cubeSize,
      (cell[1] - mean[1]!) * cubeSize,
      (cell[2] - mean[2]!) * cubeSize,
    ],
    halfSize: [half, half, half],
    color: palette[random.int(palette.length)]!,
  }));
  return {
    objects,
    // A light up and to one side, on no axis, so the three visible faces of a cube differ in shade.
    lighting: { direction: normalize([0.45, 0.8, 0.35]), intensity: 0.7, ambient: 0.4, shadows: true },
    background: [0, 0, 0],
    fovY,
  };
}

/** The least `near` of {@link shepardMetzlerDepthRange}, for configs whose object can reach the cameras. */
const SHEPARD_METZLER_MIN_NEAR = 0.05;

/**
 * `[near, far]`: distances along a camera ray, world units, between which every surface a camera
 * sees lies: `cameraDistance -+ r`, with `r` the radius of a ball about the origin that holds every
 * object. The cube centres are within `cubeSize (parts - 1) / 2` of their mean (the origin): each
 * is at most `|k - i|` steps from cube `i` along the walk, and summing over `i` is largest at an end
 * of the walk. A cube's corners add half its diagonal. So
 * `r = cubeSize ((parts - 1) + sqrt(3)) / 2`: [1.28, 2.72] for 5 parts, [1.03, 2.97] for 7.
 */
export function shepardMetzlerDepthRange(config: Partial<ShepardMetzlerConfig> = {}): [number, number] {
  const { parts, cubeSize, cameraDistance } = { ...SHEPARD_METZLER_DEFAULTS, ...config };
  const r = (cubeSize * (parts - 1 + Math.sqrt(3))) / 2;
  return [Math.max(cameraDistance - r, SHEPARD_METZLER_MIN_NEAR), cameraDistance + r];
}

/** `views` cameras uniformly distributed on the sphere of radius `distance`, each looking at the origin. */
export function sphereCameras(random: Random, views: number, distance: number): CameraVector[] {
  return Array.from({ length: views }, () => {
    let x = 0;
    let y = 0;
    let z = 0;
    let norm = 0;
    // A normalised Gaussian vector is uniform on the sphere; reject the (measure-zero) tiny ones.
    while (norm < 1e-6) {
      x = random.normal();
      y = random.normal();
      z = random.normal();
      norm = Math.hypot(x, y, z);
    }
    const s = distance / norm;
    return cameraLookAt([x * s, y * s, z * s], [0, 0, 0]);
  });
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}
