import { GqnError } from "@gqn/core";
import { cameraBasis } from "@gqn/scenes";

/**
 * A query camera on a sphere around the scene's centre, always looking at the origin, in the
 * synthetic datasets' conventions (those of @gqn/scenes' `cameraBasis`: y up, yaw 0 looks along +x,
 * positive pitch looks up). `yaw` and `pitch` are the *viewing direction's* angles, exactly the
 * numbers a record stores, so the sliders show what the model receives.
 */
export interface OrbitCamera {
  /** Heading of the viewing direction, radians, wrapped to (-pi, pi]. */
  readonly yaw: number;
  /** Elevation of the viewing direction, radians, within +-{@link MAX_PITCH}. */
  readonly pitch: number;
  /** Distance from the origin, world units (Shepard-Metzler cameras sit at 2). */
  readonly distance: number;
}

/** Pitch is kept off the poles, where yaw is undefined. */
export const MAX_PITCH = (85 * Math.PI) / 180;

/** Radians of orbit per pixel dragged. */
const DRAG_RADIANS_PER_PIXEL = Math.PI / 200;

/** Wraps an angle to (-pi, pi]. */
export function wrapAngle(angle: number): number {
  const wrapped = angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
  return wrapped === -Math.PI ? Math.PI : wrapped;
}

/** The orbit camera with yaw wrapped and pitch clamped. */
function normalizeOrbit(orbit: OrbitCamera): OrbitCamera {
  if (![orbit.yaw, orbit.pitch, orbit.distance].every(Number.isFinite) || orbit.distance <= 0) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `normalizeOrbit: yaw and pitch must be finite and distance > 0, but got ${JSON.stringify(orbit)}.`,
    );
  }
  return {
    yaw: wrapAngle(orbit.yaw),
    pitch: Math.min(MAX_PITCH, Math.max(-MAX_PITCH, orbit.pitch)),
    distance: orbit.distance,
  };
}

/**
 * The stored camera `[x, y, z, yaw, pitch]` of an orbit camera: its centre sits opposite its
 * viewing direction, `distance` from the origin.
 */
export function orbitToCamera(orbit: OrbitCamera): Float32Array {
  const { yaw, pitch, distance } = normalizeOrbit(orbit);
  const forward = [Math.cos(pitch) * Math.cos(yaw), Math.sin(pitch), Math.cos(pitch) * Math.sin(yaw)];
  return Float32Array.from([
    -distance * forward[0]!,
    -distance * forward[1]!,
    -distance * forward[2]!,
    yaw,
    pitch,
  ]);
}

/**
 * The orbit camera at a stored camera's position, looking at the origin (for a camera that looks
 * elsewhere, the one at the same place that faces the centre).
 */
export function cameraToOrbit(camera: ArrayLike<number>, offset = 0): OrbitCamera {
  // cameraBasis checks that the 5 floats are there; only the position matters here.
  const [x, y, z] = cameraBasis(camera, offset).position;
  const distance = Math.hypot(x, y, z);
  if (!(distance > 0)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `cameraToOrbit: the camera must not sit at the origin, but got [${x}, ${y}, ${z}].`,
    );
  }
  return normalizeOrbit({
    yaw: Math.atan2(-z, -x),
    pitch: Math.atan2(-y, Math.hypot(x, z)),
    distance,
  });
}

/**
 * The orbit after a pointer drag of (`dx`, `dy`) pixels: dragging right turns the scene right
 * (the camera moves left around it), dragging down raises the camera to look down on it.
 */
export function dragOrbit(orbit: OrbitCamera, dx: number, dy: number): OrbitCamera {
  return normalizeOrbit({
    yaw: orbit.yaw - dx * DRAG_RADIANS_PER_PIXEL,
    pitch: orbit.pitch - dy * DRAG_RADIANS_PER_PIXEL,
    distance: orbit.distance,
  });
}
