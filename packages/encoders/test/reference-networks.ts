// The three networks written a second time, independently of src/, with stock tfjs-layers layers
// straight from the architecture text (docs/encoders.md). Tests
// copy an encoder's weights into these models and compare outputs, which checks the wiring
// (which tensor feeds which convolution), not only the weight shapes.
import * as tfl from "@tensorflow/tfjs-layers";

type Sym = tfl.SymbolicTensor;

/** Tiles `[N, P]` to `[N, g, g, P]` with stock layers: RepeatVector then Reshape. */
function tiled(pose: Sym, g: number, p: number): Sym {
  const repeated = tfl.layers.repeatVector({ n: g * g }).apply(pose) as Sym; // [N, g*g, P]
  return tfl.layers.reshape({ targetShape: [g, g, p] }).apply(repeated) as Sym;
}

/** A named convolution; the name is the encoder's weight prefix, so tests can copy weights by name. */
function conv(
  x: Sym,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  relu: boolean,
): Sym {
  return tfl.layers
    .conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding: strides === 1 ? "same" : "valid",
      activation: relu ? "relu" : "linear",
    })
    .apply(x) as Sym;
}

/** Convolutions named as the encoder's weights: conv1, skip1, conv2, conv3, skip2, conv4, conv5, conv6. */
export function referenceTower(
  size: number,
  c: number,
  d: number,
  variant: "paper" | "tf-gqn",
): tfl.LayersModel {
  const frames = tfl.input({ shape: [size, size, 3] });
  const pose = tfl.input({ shape: [7] });
  const g = size / 4;
  const add = () => tfl.layers.add();
  const x = conv(frames, "conv1", c, 2, 2, true);
  let y: Sym;
  if (variant === "paper") {
    const skip = conv(x, "skip1", c, 2, 2, true);
    const main = conv(conv(x, "conv2", d, 3, 1, true), "conv3", c, 2, 2, true);
    y = add().apply([skip, main]) as Sym;
  } else {
    const skip = conv(x, "skip1", d, 1, 1, false);
    const h = add().apply([skip, conv(x, "conv2", d, 3, 1, true)]) as Sym;
    y = conv(h, "conv3", c, 2, 2, true);
  }
  const withPose = tfl.layers.concatenate({ axis: 3 }).apply([y, tiled(pose, g, 7)]) as Sym;
  let z: Sym;
  if (variant === "paper") {
    const skip = conv(withPose, "skip2", c, 3, 1, true);
    const main = conv(conv(withPose, "conv4", d, 3, 1, true), "conv5", c, 3, 1, true);
    z = add().apply([skip, main]) as Sym;
  } else {
    const skip = conv(withPose, "skip2", d, 1, 1, false);
    const h = add().apply([skip, conv(withPose, "conv4", d, 3, 1, true)]) as Sym;
    z = conv(h, "conv5", c, 3, 1, true);
  }
  return tfl.model({ inputs: [frames, pose], outputs: conv(z, "conv6", c, 1, 1, true) });
}

/** The pyramid: pose tiled over the frame, three k2 s2 convolutions, one k(S/8) s(S/8). */
export function referencePyramid(
  size: number,
  c: number,
  hidden: readonly [number, number, number],
): tfl.LayersModel {
  const frames = tfl.input({ shape: [size, size, 3] });
  const pose = tfl.input({ shape: [7] });
  let x = tfl.layers.concatenate({ axis: 3 }).apply([frames, tiled(pose, size, 7)]) as Sym;
  for (const [i, h] of hidden.entries()) x = conv(x, `conv${i + 1}`, h, 2, 2, true);
  x = tfl.layers
    .conv2d({ name: "conv4", filters: c, kernelSize: size / 8, strides: size / 8, activation: "relu" })
    .apply(x) as Sym;
  return tfl.model({ inputs: [frames, pose], outputs: x });
}
