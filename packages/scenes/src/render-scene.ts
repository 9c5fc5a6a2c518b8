import { checkInteger, GqnError } from "@gqn/core";
import { CompiledScene, type ObjectLayers } from "./ray-caster.js";
import type { Scene } from "./scene.js";

/** Per-call settings of {@link renderView} and {@link renderScene}. */
export interface RenderSceneOptions {
  /** Width and height of the square frame, pixels; default 64. */
  frameSize?: number;
  /** Samples per pixel along each axis (anti-aliasing); 1 (default) casts one ray per pixel. */
  supersample?: number;
}

// Each Scene object is packed once, however many views are rendered from it.
const compiled = new WeakMap<Scene, CompiledScene>();

function compile(scene: Scene): CompiledScene {
  let packed = compiled.get(scene);
  if (!packed) {
    packed = new CompiledScene(scene);
    compiled.set(scene, packed);
  }
  return packed;
}

function resolve(options: RenderSceneOptions, where: string): { frameSize: number; supersample: number } {
  const frameSize = options.frameSize ?? 64;
  const supersample = options.supersample ?? 1;
  checkInteger(frameSize, where, "frameSize");
  checkInteger(supersample, where, "supersample", { max: 8 });
  return { frameSize, supersample };
}

/**
 * Renders `scene` from one stored camera `[x, y, z, yaw, pitch]` (conventions: {@link CAMERA_CONVENTIONS}).
 * Returns `frameSize * frameSize * 3` RGB bytes, rows from the top; writes into `out` when given.
 */
export function renderView(
  scene: Scene,
  camera: ArrayLike<number>,
  options: RenderSceneOptions = {},
  out?: Uint8Array,
): Uint8Array {
  const { frameSize, supersample } = resolve(options, "renderView");
  const bytes = frameSize * frameSize * 3;
  const target = out ?? new Uint8Array(bytes);
  if (target.length !== bytes) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `renderView: out must have length ${bytes} (${frameSize}x${frameSize}x3), but got ${target.length}.`,
    );
  }
  compile(scene).renderInto(target, frameSize, camera, 0, supersample);
  return target;
}

/**
 * Renders every view of a scene: `cameras` holds `views * 5` floats, view-major. Returns one RGB
 * frame (`frameSize * frameSize * 3` bytes) per view.
 */
export function renderScene(
  scene: Scene,
  cameras: ArrayLike<number>,
  options: RenderSceneOptions = {},
): Uint8Array[] {
  const { frameSize, supersample } = resolve(options, "renderScene");
  if (cameras.length === 0 || cameras.length % 5 !== 0) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `renderScene: cameras must hold views * 5 floats, but got ${cameras.length}.`,
    );
  }
  const packed = compile(scene);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < cameras.length; offset += 5) {
    const frame = new Uint8Array(frameSize * frameSize * 3);
    packed.renderInto(frame, frameSize, cameras, offset, supersample);
    frames.push(frame);
  }
  return frames;
}

/**
 * {@link renderScene} plus, per view, which object each pixel shows and what lies behind it
 * ({@link ObjectLayers}). The frames are the very bytes `renderScene` returns.
 */
export function renderSceneWithObjects(
  scene: Scene,
  cameras: ArrayLike<number>,
  options: RenderSceneOptions = {},
): { frames: Uint8Array[]; objects: ObjectLayers[] } {
  const { frameSize, supersample } = resolve(options, "renderSceneWithObjects");
  if (cameras.length === 0 || cameras.length % 5 !== 0) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `renderSceneWithObjects: cameras must hold views * 5 floats, but got ${cameras.length}.`,
    );
  }
  const packed = compile(scene);
  if (packed.objectCount > MAX_OBJECT_ID) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `renderSceneWithObjects: object ids are bytes, so a scene may hold at most ${MAX_OBJECT_ID} objects, but it holds ${packed.objectCount}.`,
    );
  }
  const frames: Uint8Array[] = [];
  const objects: ObjectLayers[] = [];
  const pixels = frameSize * frameSize;
  for (let offset = 0; offset < cameras.length; offset += 5) {
    const frame = new Uint8Array(pixels * 3);
    const layers = { ids: new Uint8Array(pixels), behind: new Uint8Array(pixels * 3) };
    packed.renderInto(frame, frameSize, cameras, offset, supersample, layers);
    frames.push(frame);
    objects.push(layers);
  }
  return { frames, objects };
}

/** The largest object id a byte holds. */
const MAX_OBJECT_ID = 255;
