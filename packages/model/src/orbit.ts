import { checkInteger, GqnError } from "@gqn/core";
import type { RgbImage } from "@gqn/data";
import { cameraToPose } from "@gqn/data";
import * as tf from "@tensorflow/tfjs-core";
import type { GqnModel } from "./gqn-model.js";
import { toRgbImages } from "./images.js";

/** What {@link renderOrbit} needs of a model: GqnModel's representation and prior rendering. */
export type PriorRenderer = Pick<GqnModel, "represent" | "render">;

/** The vertical axis of a dataset's camera positions. */
export type UpAxis = "y" | "z";

/** Options of {@link orbitPoses} and {@link renderOrbit}. */
export interface OrbitOptions {
  /** Frames in one full turn. */
  frames: number;
  /**
   * The vertical axis. Default `"y"`: @gqn/scenes' convention (yaw 0 looks along +x and grows
   * towards +z, pitch positive looks up), which its synthetic datasets use.
   */
  up?: UpAxis;
  /** Seed of the prior's latents; the same for every frame, so the scene does not flicker. Default 0. */
  seed?: number;
  /** Prior samples averaged per frame (the predictive mean); default 1. */
  samples?: number;
  /** Called after each frame with the number rendered so far (renderOrbit only): for progress. */
  onFrame?: (done: number) => void;
}

/**
 * Query poses on a circle around the scene centre (the origin), all looking at it: the circle's
 * radius and height are the mean horizontal distance and height of the context cameras, and it
 * starts at the first context camera. Each pose is `cameraToPose([x, y, z, yaw, pitch])`, the one
 * pose function training used. Async because it reads the context poses back: a GPU backend such
 * as WebGPU has no synchronous read in Node.
 *
 * @param contextPoses - `[K, 7]` or `[1, K, 7]` poses of the context views. Borrowed.
 * @returns `[frames, 7]`, owned by the caller.
 */
export async function orbitPoses(contextPoses: tf.Tensor, options: OrbitOptions): Promise<tf.Tensor2D> {
  const { frames } = options;
  checkInteger(frames, "orbitPoses", "frames");
  const k = contextPoses.shape.at(-2) ?? 0;
  if (contextPoses.shape.at(-1) !== 7 || k < 1 || contextPoses.size !== k * 7) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `orbitPoses: contextPoses must have shape [K, 7] or [1, K, 7], but got [${contextPoses.shape.join(", ")}].`,
    );
  }
  const poses = await contextPoses.data();
  const up = options.up ?? "y";
  // Indices of the two horizontal axes (a, b) and the vertical one (v) within [x, y, z].
  const [a, v, b] = up === "y" ? [0, 1, 2] : [0, 2, 1];
  let radius = 0;
  let height = 0;
  for (let i = 0; i < k; i++) {
    radius += Math.hypot(poses[i * 7 + a] as number, poses[i * 7 + b] as number) / k;
    height += (poses[i * 7 + v] as number) / k;
  }
  const start = Math.atan2(poses[b] as number, poses[a] as number);
  const out = new Float32Array(frames * 7);
  for (let j = 0; j < frames; j++) {
    const angle = start + (2 * Math.PI * j) / frames;
    const position = [0, 0, 0];
    position[a] = radius * Math.cos(angle);
    position[b] = radius * Math.sin(angle);
    position[v] = height;
    // Looking at the origin: the direction is -position; yaw in the horizontal plane, pitch up from it.
    const yaw = Math.atan2(-(position[b] as number), -(position[a] as number));
    const pitch = Math.atan2(-height, radius);
    out.set(
      cameraToPose([position[0] as number, position[1] as number, position[2] as number, yaw, pitch]),
      j * 7,
    );
  }
  return tf.tensor2d(out, [frames, 7]);
}

/**
 * Renders a scene from `frames` query poses on a circle around it ({@link orbitPoses}), with the
 * prior (no target seen): view interpolation from the context views.
 *
 * @param contextFrames - `[1, K, H, W, 3]`. Borrowed.
 * @param contextPoses - `[1, K, 7]`. Borrowed.
 * @returns the frames as RGB bytes, in order.
 */
export async function renderOrbit(
  model: PriorRenderer,
  contextFrames: tf.Tensor5D,
  contextPoses: tf.Tensor3D,
  options: OrbitOptions,
): Promise<RgbImage[]> {
  if (contextFrames.shape[0] !== 1 || contextPoses.shape[0] !== 1) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `renderOrbit: contextFrames and contextPoses must hold one scene ([1, K, ...]), but got [${contextFrames.shape.join(", ")}] and [${contextPoses.shape.join(", ")}].`,
    );
  }
  const queries = await orbitPoses(contextPoses, options);
  const r = model.represent(contextFrames, contextPoses); // [1, h, w, c]: the scene, once
  const images: RgbImage[] = [];
  try {
    // One frame per render: the seed then draws the same latents for every frame (rendered as a
    // batch, each frame would get its own row of noise, and the scene would flicker).
    for (let frame = 0; frame < options.frames; frame++) {
      const rendered = tf.tidy(() => {
        const query = tf.slice(queries, [frame, 0], [1, 7]) as tf.Tensor2D;
        return model.render(r, query, {
          seed: options.seed ?? 0,
          samples: options.samples ?? 1,
          context: { frames: contextFrames, poses: contextPoses }, // read again by a model with a reader
        });
      });
      try {
        images.push(...(await toRgbImages(rendered)));
      } finally {
        rendered.dispose();
      }
      options.onFrame?.(frame + 1);
      // Lets a progress bar or a signal handler run between frames.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    tf.dispose([queries, r]);
  }
  return images;
}
