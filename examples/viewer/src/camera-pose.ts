/**
 * The 7-d pose `[x, y, z, sin yaw, cos yaw, sin pitch, cos pitch]` of a stored camera
 * `[x, y, z, yaw, pitch]`: the layout GQN.md fixes and the training data use.
 */
export function cameraToPose(camera: ArrayLike<number>): Float32Array {
  const yaw = camera[3] as number;
  const pitch = camera[4] as number;
  return Float32Array.from([
    camera[0] as number,
    camera[1] as number,
    camera[2] as number,
    Math.sin(yaw),
    Math.cos(yaw),
    Math.sin(pitch),
    Math.cos(pitch),
  ]);
}
