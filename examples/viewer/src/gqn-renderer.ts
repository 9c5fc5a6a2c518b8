import { assertShape, GqnError } from "@gqn/core";
import { buildCondition, GqnRenderer as GqnRendererLayer } from "@gqn/train";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** Seed of the prior's latents: one fixed seed makes the picture a function of the camera alone. */
const RENDER_SEED = 1; // DRAW seeds step l with 2(seed + l) + 1, and tfjs reads a seed of 0 as none

/** Which model input is which, found by rank so the saved input order does not matter. */
interface InputSlots {
  frames: number;
  poses: number;
  query: number;
}

/**
 * Renders views of one scene with a whole-GQN LayersModel, as `gqn-train` saves it: inputs context
 * frames `[B, K, H, W, 3]` in [0, 1], context poses `[B, K, 7]` and a query pose `[B, 7]`; output
 * the image `[B, H, W, 3]`.
 *
 * The renderer owns a copy of the scene's context (frames resized to the model's frame size), so
 * each {@link GqnRenderer.render} call only moves the 7 numbers of the query pose. When the model
 * is a gqn-train checkpoint (its GqnRenderer layer), the scene representation is computed once
 * per context and each render runs DRAW's prior only, with a fixed seed; any other model with
 * this signature is run whole.
 */
export class GqnRenderer {
  /** Width and height of the model's frames (its input and its rendering), pixels. */
  readonly frameSize: number;
  /** The number of context views the model was saved with, or null when it takes any number. */
  readonly contextSize: number | null;
  private readonly slots: InputSlots;
  private frames: tf.Tensor5D | null = null;
  private poses: tf.Tensor3D | null = null;
  /** gqn-train's layer inside the model, when it is one. */
  private readonly gqn: GqnRendererLayer | undefined;
  /** The scene representation on DRAW's core grid `[1, g, g, c]`, cached per context. */
  private representation: tf.Tensor4D | null = null;

  constructor(readonly model: tfl.LayersModel) {
    const shapes = model.inputs.map((input) => input.shape);
    const rankOf = (rank: number) => shapes.findIndex((shape) => shape.length === rank);
    const slots = { frames: rankOf(5), poses: rankOf(3), query: rankOf(2) };
    const framesShape = shapes[slots.frames];
    const outputShape = model.outputs[0]?.shape;
    if (
      shapes.length !== 3 ||
      slots.frames < 0 ||
      slots.poses < 0 ||
      slots.query < 0 ||
      !framesShape ||
      !outputShape ||
      outputShape.length !== 4
    ) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `GqnRenderer: the model must take context frames [B, K, H, W, 3], context poses [B, K, 7] and a query pose [B, 7] and return [B, H, W, 3], but it takes ${JSON.stringify(shapes)} and returns ${JSON.stringify(model.outputs.map((o) => o.shape))}.`,
      );
    }
    const frameSize = framesShape[2] ?? outputShape[1];
    if (typeof frameSize !== "number") {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        "GqnRenderer: the model must declare its frame size (H of [B, K, H, W, 3]).",
      );
    }
    this.slots = slots;
    this.frameSize = frameSize;
    this.contextSize = framesShape[1] ?? null;
    this.gqn = model.layers.find((layer): layer is GqnRendererLayer => layer instanceof GqnRendererLayer);
  }

  /** True when renders reuse the cached representation (a gqn-train checkpoint). */
  get cachesRepresentation(): boolean {
    return this.gqn !== undefined;
  }

  /** True once {@link GqnRenderer.setScene} has given the context. */
  get hasScene(): boolean {
    return this.frames !== null;
  }

  /**
   * Sets the context: `frames` `[K, h, w, 3]` in [0, 1] (any size; resized bilinearly to the
   * model's frame size, corners aligned as the data pipeline does) and their poses `[K, 7]`.
   * Borrows both; keeps copies.
   */
  setScene(frames: tf.Tensor4D, poses: tf.Tensor2D): void {
    assertShape(frames.shape, [null, null, null, 3], "GqnRenderer.setScene", "frames");
    const k = frames.shape[0];
    assertShape(poses.shape, [k, 7], "GqnRenderer.setScene", "poses");
    if (this.contextSize !== null && this.contextSize !== k) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `GqnRenderer.setScene: this model takes exactly ${this.contextSize} context views, but got ${k}.`,
      );
    }
    const size = this.frameSize;
    const next = tf.tidy(() => {
      const resized =
        frames.shape[1] === size && frames.shape[2] === size
          ? tf.clone(frames)
          : tf.image.resizeBilinear(frames, [size, size], true);
      return {
        frames: tf.expandDims(tf.cast(resized, "float32"), 0) as tf.Tensor5D, // [1, K, H, W, 3]
        poses: tf.expandDims(tf.cast(poses, "float32"), 0) as tf.Tensor3D, // [1, K, 7]
      };
    });
    this.clearScene();
    this.frames = next.frames;
    this.poses = next.poses;
    const gqn = this.gqn;
    if (gqn) {
      // The conditioning tensor is [r on the grid, query pose]: keep its r channels only.
      this.representation = tf.tidy(() => {
        const cond = gqn.condition(next.frames, next.poses, tf.zeros([1, 7]) as tf.Tensor2D);
        const [, g, , channels] = cond.shape;
        return tf.slice(cond, [0, 0, 0, 0], [1, g, g, channels - 7]) as tf.Tensor4D;
      });
    }
  }

  /**
   * The model's view of the scene from `queryPose` (7 numbers), clipped to [0, 1]: `[H, W, 3]`,
   * owned by the caller.
   */
  render(queryPose: ArrayLike<number>): tf.Tensor3D {
    if (!this.frames || !this.poses) {
      throw new GqnError("INVALID_ARGUMENT", "GqnRenderer.render: call setScene before render.");
    }
    if (queryPose.length !== 7) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `GqnRenderer.render: queryPose must have shape [7], but got [${queryPose.length}].`,
      );
    }
    const frames = this.frames;
    const poses = this.poses;
    const gqn = this.gqn;
    const representation = this.representation;
    return tf.tidy(() => {
      const query = tf.tensor2d(Array.from(queryPose), [1, 7]);
      if (gqn && representation) {
        const cond = buildCondition(representation, query, gqn.coreGrid);
        const { mean } = gqn.draw.generate(cond, { seed: RENDER_SEED }); // [1, H, W, 3]
        return tf.clipByValue(tf.squeeze(mean, [0]), 0, 1) as tf.Tensor3D;
      }
      const inputs: tf.Tensor[] = [];
      inputs[this.slots.frames] = frames;
      inputs[this.slots.poses] = poses;
      inputs[this.slots.query] = query;
      const output = this.model.predict(inputs) as tf.Tensor4D; // [1, H, W, 3]
      return tf.clipByValue(tf.squeeze(output, [0]), 0, 1) as tf.Tensor3D;
    });
  }

  /** Frees the context copies (not the model). */
  clearScene(): void {
    this.frames?.dispose();
    this.poses?.dispose();
    this.representation?.dispose();
    this.frames = null;
    this.poses = null;
    this.representation = null;
  }

  /** Frees the context copies and the model's weights. */
  dispose(): void {
    this.clearScene();
    this.model.dispose();
  }
}
