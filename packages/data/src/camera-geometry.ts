import { GqnError } from "@gqn/core";

/** A point or direction in world space. */
export type Vec3 = readonly [number, number, number];

/**
 * A pinhole camera in world space, made from a 7-float pose and a field of view. The conventions are
 * those of the gqn-datasets cameras as `@gqn/scenes` renders them (y up; yaw 0 looks along +x, yaw
 * pi/2 along +z; positive pitch looks up; no roll) and of the frames (square, rows from the top).
 *
 * Pixel coordinates are continuous: pixel (row i, column j) covers `[j, j + 1) x [i, i + 1)`, so its
 * centre is `(j + 0.5, i + 0.5)` and the image spans `[0, frameSize]` on both axes.
 */
export interface PinholeCamera {
  readonly position: Vec3;
  /** Unit viewing direction. */
  readonly forward: Vec3;
  /** Unit vector towards the image's right (+x in pixels). */
  readonly right: Vec3;
  /** Unit vector towards the image's top (-y in pixels). */
  readonly up: Vec3;
  /** tan(fov / 2): the image-plane half-extent at unit depth (the frames are square: fovX = fovY). */
  readonly tanHalfFov: number;
  /** Width and height of the frame, pixels. */
  readonly frameSize: number;
}

/** Where a world point lands in a camera's image. */
export interface ImagePoint {
  /** Continuous pixel column (`[0, frameSize]` inside the image). */
  readonly x: number;
  /** Continuous pixel row, from the top. */
  readonly y: number;
  /** Distance in front of the camera along its viewing direction (<= 0: behind it). */
  readonly depth: number;
}

/** A ray from a camera centre through a pixel. */
export interface Ray {
  readonly origin: Vec3;
  /** Unit direction. */
  readonly direction: Vec3;
}

/**
 * The camera of a 7-float pose `[x, y, z, sin(yaw), cos(yaw), sin(pitch), cos(pitch)]` (read from
 * `offset`), with a square frame of `frameSize` pixels seen under `fovDegrees` (vertical and horizontal).
 */
export function pinholeCamera(
  pose: ArrayLike<number>,
  fovDegrees: number,
  frameSize: number,
  offset = 0,
): PinholeCamera {
  if (pose.length < offset + 7) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `pinholeCamera: pose must hold 7 floats [x, y, z, sin(yaw), cos(yaw), sin(pitch), cos(pitch)] from offset ${offset}, but has length ${pose.length}.`,
    );
  }
  checkFov(fovDegrees, "pinholeCamera");
  if (!(frameSize > 0)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `pinholeCamera: frameSize must be positive, but got ${frameSize}.`,
    );
  }
  const at = (i: number) => pose[offset + i] as number;
  const [sy, cy, sp, cp] = [at(3), at(4), at(5), at(6)];
  return {
    position: [at(0), at(1), at(2)],
    forward: [cp * cy, sp, cp * sy],
    right: [-sy, 0, cy],
    up: [-sp * cy, cp, -sp * sy], // right x forward
    tanHalfFov: Math.tan((fovDegrees * Math.PI) / 360),
    frameSize,
  };
}

/** Throws unless `fovDegrees` is a field of view a pinhole camera can have: (0, 180) degrees. */
export function checkFov(fovDegrees: number, where: string): void {
  if (!(typeof fovDegrees === "number" && fovDegrees > 0 && fovDegrees < 180)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: the field of view must be in (0, 180) degrees, but got ${JSON.stringify(fovDegrees)}.`,
    );
  }
}

/** The world ray through continuous pixel coordinates `(x, y)` (a pixel's centre is `(j + 0.5, i + 0.5)`). */
export function pixelRay(camera: PinholeCamera, x: number, y: number): Ray {
  const { forward: f, right: r, up: u, tanHalfFov: t, frameSize: s } = camera;
  const a = ((2 * x) / s - 1) * t; // image-plane offset towards the right at unit depth
  const b = (1 - (2 * y) / s) * t; // towards the top
  const d: [number, number, number] = [
    f[0] + a * r[0] + b * u[0],
    f[1] + a * r[1] + b * u[1],
    f[2] + a * r[2] + b * u[2],
  ];
  const n = Math.hypot(d[0], d[1], d[2]);
  return { origin: camera.position, direction: [d[0] / n, d[1] / n, d[2] / n] };
}

/** Where a world point lands in the camera's image (the inverse of {@link pixelRay}). */
export function projectPoint(camera: PinholeCamera, point: Vec3): ImagePoint {
  const { position: o, forward: f, right: r, up: u, tanHalfFov: t, frameSize: s } = camera;
  const dx = point[0] - o[0];
  const dy = point[1] - o[1];
  const dz = point[2] - o[2];
  const depth = dx * f[0] + dy * f[1] + dz * f[2];
  const a = (dx * r[0] + dy * r[1] + dz * r[2]) / depth;
  const b = (dx * u[0] + dy * u[1] + dz * u[2]) / depth;
  return { x: ((a / t + 1) * s) / 2, y: ((1 - b / t) * s) / 2, depth };
}

/** The point at distance `t` along a ray. */
export function pointAlong(ray: Ray, t: number): Vec3 {
  const { origin: o, direction: d } = ray;
  return [o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]];
}

/**
 * The epipolar line of `ray` in `camera`'s image: the projections of the ray's points from `near` to
 * `far`, clipped to the part in front of the camera (depth > `minDepth`), as the segment's two ends.
 * Returns undefined when no part of that stretch lies in front of the camera. The ends may lie
 * outside the image; a line through the image is what a user checks a dataset's convention with.
 */
export function epipolarSegment(
  camera: PinholeCamera,
  ray: Ray,
  near: number,
  far: number,
  minDepth = 1e-3,
): readonly [ImagePoint, ImagePoint] | undefined {
  // Depth in this camera is affine in t: depth(t) = d0 + t * dd.
  const { position: o, forward: f } = camera;
  const d0 = (ray.origin[0] - o[0]) * f[0] + (ray.origin[1] - o[1]) * f[1] + (ray.origin[2] - o[2]) * f[2];
  const dd = ray.direction[0] * f[0] + ray.direction[1] * f[1] + ray.direction[2] * f[2];
  let t0 = near;
  let t1 = far;
  if (dd === 0) {
    if (d0 <= minDepth) return undefined;
  } else {
    const tEdge = (minDepth - d0) / dd;
    if (dd > 0) t0 = Math.max(t0, tEdge);
    else t1 = Math.min(t1, tEdge);
  }
  if (!(t1 > t0)) return undefined;
  return [projectPoint(camera, pointAlong(ray, t0)), projectPoint(camera, pointAlong(ray, t1))];
}

/** Distance in pixels from image point `p` to the infinite line through `a` and `b`. */
export function distanceToLine(p: { x: number; y: number }, a: ImagePoint, b: ImagePoint): number {
  const ex = b.x - a.x;
  const ey = b.y - a.y;
  const n = Math.hypot(ex, ey);
  if (n === 0) return Math.hypot(p.x - a.x, p.y - a.y);
  return Math.abs((p.x - a.x) * ey - (p.y - a.y) * ex) / n;
}
