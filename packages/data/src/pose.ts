/**
 * The one pose function of @gqn/data, used for training and rendering queries alike: a camera
 * `[x, y, z, yaw, pitch]` (radians) becomes the 7-d pose `[x, y, z, sin(yaw), cos(yaw), sin(pitch), cos(pitch)]`,
 * the order of DeepMind's official gqn-datasets reader (see docs/data-format.md for why not cos first).
 */
export function cameraToPose(camera: ArrayLike<number>, out = new Float32Array(7), offset = 0): Float32Array {
  if (camera.length < 5) {
    throw new RangeError(
      `cameraToPose: camera must have 5 values [x, y, z, yaw, pitch], but got ${camera.length}.`,
    );
  }
  const yaw = camera[3] as number;
  const pitch = camera[4] as number;
  out[offset] = camera[0] as number;
  out[offset + 1] = camera[1] as number;
  out[offset + 2] = camera[2] as number;
  out[offset + 3] = Math.sin(yaw);
  out[offset + 4] = Math.cos(yaw);
  out[offset + 5] = Math.sin(pitch);
  out[offset + 6] = Math.cos(pitch);
  return out;
}

/** Poses of `views` cameras stored frame-major (`views * 5` floats): `views * 7` floats, frame-major. */
export function camerasToPoses(
  cameras: ArrayLike<number>,
  views = Math.floor(cameras.length / 5),
): Float32Array {
  if (cameras.length !== views * 5) {
    throw new RangeError(
      `camerasToPoses: cameras must have ${views * 5} values (5 per view), but got ${cameras.length}.`,
    );
  }
  const out = new Float32Array(views * 7);
  const camera = new Float64Array(5);
  for (let v = 0; v < views; v++) {
    for (let k = 0; k < 5; k++) camera[k] = cameras[v * 5 + k] as number;
    cameraToPose(camera, out, v * 7);
  }
  return out;
}
