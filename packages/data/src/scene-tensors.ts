import { GqnError } from "@gqn/core";
import type * as tfc from "@tensorflow/tfjs-core";
import { rgbaToFloatRgb } from "./frames-to-float.js";
import { cameraToPose } from "./pose.js";
import type { RgbImage } from "./rgb-image.js";

/**
 * One view's image: an {@link RgbImage}, or `S * S * 3` values of a square frame, row-major RGB:
 * bytes 0..255 (`Uint8Array`, what @gqn/scenes' `renderView` returns) or floats in [0, 1].
 */
export type SceneFrame = RgbImage | Uint8Array | Float32Array;

/** A scene in memory: a frame per view and the camera of each view. */
export interface InMemoryScene {
  /** One square frame per view, all the same size. */
  frames: readonly SceneFrame[];
  /**
   * The camera `[x, y, z, yaw, pitch]` (radians) of each view: `views * 5` numbers view-major
   * (as a record stores them), or one array per view. Cameras beyond the frames are views with no
   * image, to render.
   */
  cameras: ArrayLike<number> | readonly ArrayLike<number>[];
}

/** Which views of a scene are context and which is the query. */
export interface SceneViews {
  /** Context view indices (each with a frame). */
  context: readonly number[];
  /**
   * The query: a view index (its frame, when it has one, becomes the target) or a camera
   * `[x, y, z, yaw, pitch]` to render.
   */
  query: number | readonly number[];
}

/** Options of {@link scenesToArrays} and {@link scenesToTensors}. */
export interface SceneTensorOptions {
  /** Output frame size; frames of bytes of another size are resized bilinearly (corners aligned). Default: the frames'. */
  frameSize?: number;
}

/** A batch of scenes as flat float32 arrays, in the layout of {@link SceneTensors}. */
export interface SceneArrays {
  /** `[B, K, S, S, 3]` values. */
  contextFrames: Float32Array;
  /** `[B, K, 7]` poses. */
  contextPoses: Float32Array;
  /** `[B, 7]` poses. */
  queryPose: Float32Array;
  /** `[B, S, S, 3]` values: the query views' frames, when every query is a view with a frame. */
  target?: Float32Array;
  /** `[B, K, S]`. */
  shape: [batch: number, contextSize: number, frameSize: number];
}

/** The model's input tensors of a batch of scenes, owned by the caller: `dispose()` when done. */
export interface SceneTensors {
  /** `[B, K, S, S, 3]`, float32 in [0, 1]. */
  contextFrames: tfc.Tensor5D;
  /** `[B, K, 7]`: `[x, y, z, sin yaw, cos yaw, sin pitch, cos pitch]` per context view. */
  contextPoses: tfc.Tensor3D;
  /** `[B, 7]`. */
  queryPose: tfc.Tensor2D;
  /** `[B, S, S, 3]`: present when every query is a view with a frame. */
  target?: tfc.Tensor4D;
  dispose(): void;
}

const WHERE = "scenesToArrays";

/** The number of views of a scene (cameras, which may outnumber the frames) and its camera of view `v`. */
export function sceneCameraCount(scene: InMemoryScene, where = WHERE): number {
  const { cameras } = scene;
  if (isCameraList(cameras)) return cameras.length;
  if (cameras.length % 5 !== 0) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: cameras must hold 5 numbers per view [x, y, z, yaw, pitch], but got ${cameras.length}.`,
    );
  }
  return cameras.length / 5;
}

function isCameraList(
  cameras: ArrayLike<number> | readonly ArrayLike<number>[],
): cameras is readonly ArrayLike<number>[] {
  return cameras.length > 0 && typeof cameras[0] === "object";
}

function cameraOf(scene: InMemoryScene, view: number, where: string): ArrayLike<number> {
  const views = sceneCameraCount(scene, where);
  if (!Number.isInteger(view) || view < 0 || view >= views) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: view ${view} does not exist: the scene has ${views} cameras.`,
    );
  }
  const { cameras } = scene;
  let camera: ArrayLike<number>;
  if (isCameraList(cameras)) {
    camera = cameras[view] as ArrayLike<number>;
    if (camera.length !== 5) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: the camera of view ${view} must be [x, y, z, yaw, pitch], but has ${camera.length} values.`,
      );
    }
  } else {
    camera = Array.from({ length: 5 }, (_, i) => cameras[view * 5 + i] as number);
  }
  // Here, not as a NaN loss steps later: a record's cameras get the same check.
  for (let i = 0; i < 5; i++) {
    if (!Number.isFinite(camera[i])) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: the camera of view ${view} must be finite numbers [x, y, z, yaw, pitch], but got [${Array.from(camera).join(", ")}].`,
      );
    }
  }
  return camera;
}

/** A frame's side length `S` (frames are square), checked. */
export function frameSizeOf(frame: SceneFrame, where = WHERE): number {
  if (frame instanceof Uint8Array || frame instanceof Float32Array) {
    const side = Math.round(Math.sqrt(frame.length / 3));
    if (side < 1 || side * side * 3 !== frame.length) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `${where}: a frame must hold S * S * 3 values (a square RGB image), but got ${frame.length}.`,
      );
    }
    return side;
  }
  if (frame.width !== frame.height || frame.data.length !== frame.width * frame.height * 3) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `${where}: an RgbImage frame must be square with width * height * 3 bytes, but got ${frame.width}x${frame.height} with ${frame.data.length} bytes.`,
    );
  }
  return frame.width;
}

/** Writes `frame` as float RGB in [0, 1] at `size` px into `out` at `offset`. */
function writeFrame(frame: SceneFrame, size: number, out: Float32Array, offset: number, where: string): void {
  const side = frameSizeOf(frame, where);
  if (frame instanceof Float32Array) {
    if (side !== size) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `${where}: float frames must already be ${size}x${size} (only byte frames are resized), but got ${side}x${side}.`,
      );
    }
    out.set(frame, offset);
    return;
  }
  const bytes = frame instanceof Uint8Array ? frame : frame.data;
  rgbaToFloatRgb(bytes, side, side, out, offset, size, size, 3);
}

/**
 * Scenes in memory as the flat arrays of a model batch: per scene, the frames and poses of its
 * context views (poses by {@link cameraToPose}, the one pose function), the query's pose and, when
 * the query is a view with a frame, its frame as the target. Every scene takes the same number of
 * context views. Platform-neutral and tfjs-free ({@link scenesToTensors} makes tensors of it).
 */
export function scenesToArrays(
  scenes: readonly InMemoryScene[],
  views: SceneViews | readonly SceneViews[],
  options: SceneTensorOptions = {},
): SceneArrays {
  const b = scenes.length;
  if (b === 0) throw new GqnError("INVALID_ARGUMENT", `${WHERE}: scenes must not be empty.`);
  const perScene: readonly SceneViews[] = Array.isArray(views)
    ? (views as readonly SceneViews[])
    : scenes.map(() => views as SceneViews);
  if (perScene.length !== b) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${WHERE}: views must be one SceneViews or one per scene (${b}), but got ${perScene.length}.`,
    );
  }
  const k = (perScene[0] as SceneViews).context.length;
  const first = (scenes[0] as InMemoryScene).frames[0];
  if (first === undefined) throw new GqnError("INVALID_ARGUMENT", `${WHERE}: scene 0 has no frames.`);
  const size = options.frameSize ?? frameSizeOf(first);
  if (!Number.isInteger(size) || size < 1) {
    throw new GqnError("INVALID_ARGUMENT", `${WHERE}: frameSize must be an integer >= 1, but got ${size}.`);
  }
  const pixels = size * size * 3;
  const contextFrames = new Float32Array(b * k * pixels);
  const contextPoses = new Float32Array(b * k * 7);
  const queryPose = new Float32Array(b * 7);
  const hasTarget = perScene.map(
    (v, s) => typeof v.query === "number" && v.query < (scenes[s] as InMemoryScene).frames.length,
  );
  const withTarget = hasTarget.filter(Boolean).length;
  if (withTarget !== 0 && withTarget !== b) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${WHERE}: either every query or none must be a view with a frame (the target), but ${withTarget} of ${b} are.`,
    );
  }
  const target = withTarget === b ? new Float32Array(b * pixels) : undefined;
  scenes.forEach((scene, s) => {
    const where = `${WHERE}: scene ${s}`;
    const { context, query } = perScene[s] as SceneViews;
    if (context.length !== k) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: every scene must have the same number of context views (${k}), but got ${context.length}.`,
      );
    }
    context.forEach((view, j) => {
      const frame = scene.frames[view];
      if (frame === undefined) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${where}: context view ${view} has no frame (the scene has ${scene.frames.length}).`,
        );
      }
      writeFrame(frame, size, contextFrames, (s * k + j) * pixels, where);
      cameraToPose(cameraOf(scene, view, where), contextPoses, (s * k + j) * 7);
    });
    if (typeof query === "number") {
      cameraToPose(cameraOf(scene, query, where), queryPose, s * 7);
      if (target) writeFrame(scene.frames[query] as SceneFrame, size, target, s * pixels, where);
    } else {
      if (query.length !== 5) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${where}: a query camera must be [x, y, z, yaw, pitch], but has ${query.length} values.`,
        );
      }
      cameraToPose(query, queryPose, s * 7);
    }
  });
  return {
    contextFrames,
    contextPoses,
    queryPose,
    ...(target && { target }),
    shape: [b, k, size],
  };
}

let tfModule: Promise<typeof tfc> | undefined;

/** tfjs-core, loaded on first use: @gqn/data works without it for everything but tensors. */
export function loadTfjsCore(where: string): Promise<typeof tfc> {
  tfModule ??= import("@tensorflow/tfjs-core").catch((error) => {
    tfModule = undefined;
    throw new GqnError(
      "UNSUPPORTED",
      `${where}: batches are tfjs tensors; install @tensorflow/tfjs-core (${(error as Error).message}).`,
      { cause: error },
    );
  });
  return tfModule;
}

/**
 * Scenes in memory as the model's input tensors ({@link scenesToArrays}): what `GqnModel`'s
 * `represent`, `render` and `infer` take.
 *
 * ```ts
 * const scene = { frames: views.map((camera) => renderView(room, camera)), cameras: views };
 * const batch = await scenesToTensors([scene], { context: [0, 1, 2], query: 3 });
 * const image = model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose);
 * ```
 */
export async function scenesToTensors(
  scenes: readonly InMemoryScene[],
  views: SceneViews | readonly SceneViews[],
  options: SceneTensorOptions = {},
): Promise<SceneTensors> {
  const arrays = scenesToArrays(scenes, views, options);
  const tf = await loadTfjsCore("scenesToTensors");
  return arraysToTensors(tf, arrays);
}

/** Tensors of {@link SceneArrays}, with one `dispose()`. */
export function arraysToTensors(tf: typeof tfc, arrays: SceneArrays): SceneTensors {
  const [b, k, size] = arrays.shape;
  const tensors = {
    contextFrames: tf.tensor5d(arrays.contextFrames, [b, k, size, size, 3], "float32"),
    contextPoses: tf.tensor3d(arrays.contextPoses, [b, k, 7], "float32"),
    queryPose: tf.tensor2d(arrays.queryPose, [b, 7], "float32"),
    ...(arrays.target && { target: tf.tensor4d(arrays.target, [b, size, size, 3], "float32") }),
  };
  return { ...tensors, dispose: () => tf.dispose(Object.values(tensors)) };
}
