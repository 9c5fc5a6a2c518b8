import type { Random } from "@gqn/core";
import { type CameraVector, cameraLookAt } from "./camera.js";
import { saturatedPalette } from "./colors.js";
import type { Rgb, Scene, SceneObject } from "./scene.js";

/** Construction-time settings of the rooms generator (JSON, defaults in {@link ROOMS_DEFAULTS}). */
export interface RoomsConfig {
  /** Half the room's side (GQN.md section 5: walls at +-3.5). */
  halfSize: number;
  wallHeight: number;
  /** Radius of the camera ring. */
  cameraRadius: number;
  /** Height of the camera ring (GQN.md section 5: 1). */
  cameraHeight: number;
  /** Height of the point at the room's centre every camera looks at. */
  targetHeight: number;
  /** Field of view, radians. */
  fovY: number;
  minObjects: number;
  maxObjects: number;
  /** Object positions: a 3x3 grid of this spacing, each jittered by up to +-jitter in x and z. */
  gridSpacing: number;
  jitter: number;
}

/** Defaults of {@link RoomsConfig}. */
export const ROOMS_DEFAULTS: Readonly<RoomsConfig> = Object.freeze({
  halfSize: 3.5,
  wallHeight: 2.5,
  cameraRadius: 3,
  cameraHeight: 1,
  targetHeight: 0.4,
  fovY: (60 * Math.PI) / 180,
  minObjects: 1,
  maxObjects: 3,
  gridSpacing: 1.5,
  jitter: 0.3,
});

/** The wall colours of the published rooms data (red, green, cerise, orange, yellow). */
const WALL_COLORS: readonly Rgb[] = [
  [0.8, 0.22, 0.18],
  [0.35, 0.72, 0.3],
  [0.85, 0.2, 0.45],
  [0.95, 0.55, 0.18],
  [0.92, 0.82, 0.3],
];

/** The floor colours of the published rooms data (yellow, white, blue). */
const FLOOR_COLORS: readonly Rgb[] = [
  [0.85, 0.78, 0.45],
  [0.88, 0.88, 0.88],
  [0.35, 0.5, 0.85],
];

const OBJECT_COLORS = saturatedPalette(6);
const SKY: Rgb = [0.6, 0.87, 0.98];

/**
 * A rooms_ring_camera-style scene: a square room with one wall colour and one floor colour, and
 * 1-3 objects (box, sphere, cylinder, cone; saturated colours) standing on the floor at distinct
 * cells of a jittered 3x3 grid, lit by a directional light from a random side above.
 */
export function createRoomsScene(random: Random, config: Partial<RoomsConfig> = {}): Scene {
  const c = { ...ROOMS_DEFAULTS, ...config };
  const count = random.intBetween(c.minObjects, c.maxObjects);
  const cells = random.permutation(9).slice(0, count);
  const objects: SceneObject[] = cells.map((cell) => {
    const x = ((cell % 3) - 1) * c.gridSpacing + random.uniform(-c.jitter, c.jitter);
    const z = (Math.floor(cell / 3) - 1) * c.gridSpacing + random.uniform(-c.jitter, c.jitter);
    const color = OBJECT_COLORS[random.int(OBJECT_COLORS.length)]!;
    switch (random.int(4)) {
      case 0: {
        const hx = random.uniform(0.3, 0.45);
        const hy = random.uniform(0.3, 0.5);
        const hz = random.uniform(0.3, 0.45);
        return { shape: "box", center: [x, hy, z], halfSize: [hx, hy, hz], color };
      }
      case 1: {
        const radius = random.uniform(0.35, 0.5);
        return { shape: "sphere", center: [x, radius, z], radius, color };
      }
      case 2:
        return {
          shape: "cylinder",
          base: [x, 0, z],
          radius: random.uniform(0.3, 0.45),
          height: random.uniform(0.6, 1.1),
          color,
        };
      default:
        return {
          shape: "cone",
          base: [x, 0, z],
          radius: random.uniform(0.35, 0.5),
          height: random.uniform(0.7, 1.2),
          color,
        };
    }
  });
  const lx = random.uniform(-1, 1);
  const lz = random.uniform(-1, 1);
  const norm = Math.hypot(lx, 1, lz);
  return {
    objects,
    room: {
      halfSize: c.halfSize,
      wallHeight: c.wallHeight,
      wallColor: WALL_COLORS[random.int(WALL_COLORS.length)]!,
      floorColor: FLOOR_COLORS[random.int(FLOOR_COLORS.length)]!,
      floorTile: 0.7,
    },
    lighting: { direction: [lx / norm, 1 / norm, lz / norm], intensity: 0.6, ambient: 0.5, shadows: true },
    background: SKY,
    fovY: c.fovY,
  };
}

/** `views` cameras at uniformly random angles on the ring, each facing the room's centre. */
export function ringCameras(
  random: Random,
  views: number,
  config: Partial<RoomsConfig> = {},
): CameraVector[] {
  const c = { ...ROOMS_DEFAULTS, ...config };
  return Array.from({ length: views }, () => {
    const angle = random.uniform(-Math.PI, Math.PI);
    return cameraLookAt(
      [c.cameraRadius * Math.cos(angle), c.cameraHeight, c.cameraRadius * Math.sin(angle)],
      [0, c.targetHeight, 0],
    );
  });
}

/**
 * The nearest distance {@link roomsDepthRange} admits: a floor, not a bound (see there). Rarely
 * approached; camera-geometry.test.ts checks that its scenes' surfaces lie within the range.
 */
const ROOMS_NEAR = 0.1;

/**
 * `[near, far]`: distances along a camera ray, world units, between which every surface a ring
 * camera sees lies. `far` is the farthest point of the room box from any camera on the ring: the
 * top or foot of the corner behind the room's centre, seen from the ring point opposite it
 * (`hypot(sqrt(2) halfSize + cameraRadius, max(cameraHeight, wallHeight - cameraHeight))`, 8.09 for
 * the defaults; the room has no ceiling, so rays over the walls see the sky, which is no surface).
 * `near` is 0.1, a floor rather than a bound: objects on the grid's corner cells reach the camera
 * ring, so a camera can pass within a hair of one.
 */
export function roomsDepthRange(config: Partial<RoomsConfig> = {}): [number, number] {
  const c = { ...ROOMS_DEFAULTS, ...config };
  const far = Math.hypot(
    Math.SQRT2 * c.halfSize + c.cameraRadius,
    Math.max(c.cameraHeight, c.wallHeight - c.cameraHeight),
  );
  return [ROOMS_NEAR, far];
}
