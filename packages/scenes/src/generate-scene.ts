import { deriveSeed, Random } from "@gqn/core";
import type { Split } from "@gqn/data";
import { createRoomsScene, ringCameras } from "./rooms-ring-camera.js";
import type { Scene } from "./scene.js";
import { getSceneKind, type SceneKind } from "./scene-kinds.js";
import { createShepardMetzlerScene, SHEPARD_METZLER_DEFAULTS, sphereCameras } from "./shepard-metzler.js";

/** A generated scene and the cameras of its views. */
export interface SceneSample {
  readonly kind: SceneKind;
  readonly scene: Scene;
  /** `views * 5` floats, view-major `[x, y, z, yaw, pitch]`, exactly as a record stores them. */
  readonly cameras: Float32Array;
}

/**
 * The seed of scene `index` of `split` in a dataset made with `seed`: `deriveSeed(seed, split,
 * index)`. Every scene has its own seed, so a dataset is the same whatever the number of workers,
 * files or the order they finish in, and the split is part of it, so train and test never share
 * a scene.
 */
export function sceneSeed(seed: number, split: Split, index: number): number {
  return deriveSeed(seed, split, index);
}

/** Generates a scene of `kind` and its cameras from `seed` (the same seed, the same scene and cameras). */
export function generateScene(kind: SceneKind, seed: number): SceneSample {
  const { views } = getSceneKind(kind);
  const random = new Random(seed);
  let scene: Scene;
  let cameraList: readonly (readonly number[])[];
  if (kind === "rooms_ring_camera") {
    scene = createRoomsScene(random);
    cameraList = ringCameras(random, views);
  } else {
    scene = createShepardMetzlerScene(random, { parts: kind === "shepard_metzler_5_parts" ? 5 : 7 });
    cameraList = sphereCameras(random, views, SHEPARD_METZLER_DEFAULTS.cameraDistance);
  }
  const cameras = new Float32Array(views * 5);
  cameraList.forEach((camera, i) => {
    cameras.set(camera, i * 5);
  });
  return { kind, scene, cameras };
}
