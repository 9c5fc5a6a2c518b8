import { GqnError } from "@gqn/core";
import type { Vec3 } from "./scene.js";

/**
 * The camera conventions of every synthetic record (the stored 5 floats `[x, y, z, yaw, pitch]`):
 * - right-handed world, **y up**; the floor of a room is the plane `y = 0`;
 * - `x, y, z`: the camera centre in world units;
 * - `yaw`: heading of the viewing direction in the horizontal plane, radians, **0 looks along +x**,
 *   `pi / 2` looks along +z; stored in `(-pi, pi]`;
 * - `pitch`: elevation of the viewing direction, radians in `[-pi / 2, pi / 2]`, **positive looks up**
 *   (a camera above the object it faces has a negative pitch);
 * - no roll: the image's up is the world's up projected onto the image plane.
 * The viewing direction is `[cos(pitch) cos(yaw), sin(pitch), cos(pitch) sin(yaw)]`; the image's right
 * is `[-sin(yaw), 0, cos(yaw)]`.
 */
export const CAMERA_CONVENTIONS = Object.freeze({
  upAxis: "+y",
  yawZero: "+x",
  yawPositive: "towards +z",
  pitchPositive: "looks up",
});

/** A camera as the datasets store it: `[x, y, z, yaw, pitch]`, see {@link CAMERA_CONVENTIONS}. */
export type CameraVector = readonly [number, number, number, number, number];

/**
 * The camera at `position` looking at `target`, as the 5 floats a record stores. Each value is
 * rounded to float32 so that the stored camera is exactly the camera the frame was rendered from.
 */
export function cameraLookAt(position: Vec3, target: Vec3): CameraVector {
  const dx = target[0] - position[0];
  const dy = target[1] - position[1];
  const dz = target[2] - position[2];
  const horizontal = Math.hypot(dx, dz);
  if (horizontal === 0 && dy === 0) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `cameraLookAt: position and target must differ, but both are [${position.join(", ")}].`,
    );
  }
  const yaw = Math.atan2(dz, dx);
  const pitch = Math.atan2(dy, horizontal);
  return [
    Math.fround(position[0]),
    Math.fround(position[1]),
    Math.fround(position[2]),
    Math.fround(yaw),
    Math.fround(pitch),
  ];
}

/** The orthonormal camera frame of a stored camera: where it is and where it looks. */
export interface CameraBasis {
  readonly position: Vec3;
  /** Unit viewing direction. */
  readonly forward: Vec3;
  /** Unit vector towards the image's right. */
  readonly right: Vec3;
  /** Unit vector towards the image's top. */
  readonly up: Vec3;
}

/** The camera frame that the 5 stored floats describe (the inverse of {@link cameraLookAt}). */
export function cameraBasis(camera: ArrayLike<number>, offset = 0): CameraBasis {
  if (camera.length < offset + 5) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `cameraBasis: camera must hold 5 floats [x, y, z, yaw, pitch] from offset ${offset}, but has length ${camera.length}.`,
    );
  }
  const x = camera[offset] as number;
  const y = camera[offset + 1] as number;
  const z = camera[offset + 2] as number;
  const yaw = camera[offset + 3] as number;
  const pitch = camera[offset + 4] as number;
  const cy = Math.cos(yaw);
  const sy = Math.sin(yaw);
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  const forward: Vec3 = [cp * cy, sp, cp * sy];
  const right: Vec3 = [-sy, 0, cy];
  // up = right x forward
  const up: Vec3 = [-sp * cy, cp, -sp * sy];
  return { position: [x, y, z], forward, right, up };
}
