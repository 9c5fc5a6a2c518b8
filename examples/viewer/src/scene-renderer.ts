import { assertShape, GqnError } from "@gqn/core";
import { GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** Seed of the prior's latents: one fixed seed makes the picture a function of the camera alone. */
export const RENDER_SEED = 1;

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
 * each {@link SceneRenderer.render} call only moves the 7 numbers of the query pose. When the
 * model is a saved GqnModel, the scene representation is computed once per context
 * (`GqnModel.represent`) and each render runs DRAW's prior only (`GqnModel.render`), with a
 * fixed seed; any other model with this signature is run whole.
 */
export class SceneRenderer {
  /** Width and height of the model's frames (its input and its rendering), pixels. */
  readonly frameSize: number;
  /** The number of context views the model was saved with, or null when it takes any number. */
  readonly contextSize: number | null;
  private readonly slots: InputSlots;
  private frames: tf.Tensor5D | null = null;
  private poses: tf.Tensor3D | null = null;
  /** The GQN, when the model is a saved GqnModel. */
  private readonly gqn: GqnModel | undefined;
  /** The scene representation `[1, h, w, c]`, cached per context. */
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
        `SceneRenderer: the model must take context frames [B, K, H, W, 3], context poses [B, K, 7] and a query pose [B, 7] and return [B, H, W, 3], but it takes ${JSON.stringify(shapes)} and returns ${JSON.stringify(model.outputs.map((o) => o.shape))}.`,
      );
    }
    const frameSize = framesShape[2] ?? outputShape[1];
    if (typeof frameSize !== "number") {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        "SceneRenderer: the model must declare its frame size (H of [B, K, H, W, 3]).",
      );
    }
    this.slots = slots;
    this.frameSize = frameSize;
    this.contextSize = framesShape[1] ?? null;
    this.gqn = GqnModel.isGqnModel(model) ? GqnModel.fromLayersModel(model) : undefined;
  }

  /** True when renders reuse the cached representation (a saved GqnModel). */
  get cachesRepresentation(): boolean {
    return this.gqn !== undefined;
  }

  /** True once {@link SceneRenderer.setScene} has given the context. */
  get hasScene(): boolean {
    return this.frames !== null;
  }

  /**
   * Sets the context: `frames` `[K, h, w, 3]` in [0, 1] (any size; resized bilinearly to the
   * model's frame size, corners aligned as the data pipeline does) and their poses `[K, 7]`.
   * Borrows both; keeps copies.
   */
  setScene(frames: tf.Tensor4D, poses: tf.Tensor2D): void {
    assertShape(frames.shape, [null, null, null, 3], "SceneRenderer.setScene", "frames");
    const k = frames.shape[0];
    assertShape(poses.shape, [k, 7], "SceneRenderer.setScene", "poses");
    if (this.contextSize !== null && this.contextSize !== k) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `SceneRenderer.setScene: this model takes exactly ${this.contextSize} context views, but got ${k}.`,
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
    this.representation = this.gqn?.represent(next.frames, next.poses) ?? null; // [1, h, w, c]
  }

  /**
   * The model's view of the scene from `queryPose` (7 numbers), clipped to [0, 1]: `[H, W, 3]`,
   * owned by the caller.
   */
  render(queryPose: ArrayLike<number>): tf.Tensor3D {
    if (!this.frames || !this.poses) {
      throw new GqnError("INVALID_ARGUMENT", "SceneRenderer.render: call setScene before render.");
    }
    if (queryPose.length !== 7) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `SceneRenderer.render: queryPose must have shape [7], but got [${queryPose.length}].`,
      );
    }
    const frames = this.frames;
    const poses = this.poses;
    const gqn = this.gqn;
    const representation = this.representation;
    return tf.tidy(() => {
      const query = tf.tensor2d(Array.from(queryPose), [1, 7]);
      if (gqn && representation) {
        // A model with an epipolar reader looks into the context views again for each query.
        const context = { frames, poses };
        const image = gqn.render(representation, query, { seed: RENDER_SEED, context }); // [1, H, W, 3] in [0, 1]
        return tf.squeeze(image, [0]) as tf.Tensor3D;
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
