import { GqnError } from "@gqn/core";

/** The dataset names this package renders, after the published sets they imitate. */
export type SceneKind = "shepard_metzler_5_parts" | "shepard_metzler_7_parts" | "rooms_ring_camera";

/** What a scene kind renders: the published set's views per scene and frame size. */
export interface SceneKindSpec {
  readonly name: SceneKind;
  /** Views (frames and cameras) per scene, as in the published set. */
  readonly views: number;
  /** Frame size of the published set, pixels. */
  readonly frameSize: number;
}

/** The scene kinds, keyed by dataset name. */
export const SCENE_KINDS: Readonly<Record<SceneKind, SceneKindSpec>> = Object.freeze({
  shepard_metzler_5_parts: { name: "shepard_metzler_5_parts", views: 15, frameSize: 64 },
  shepard_metzler_7_parts: { name: "shepard_metzler_7_parts", views: 15, frameSize: 64 },
  rooms_ring_camera: { name: "rooms_ring_camera", views: 10, frameSize: 64 },
});

/** The spec of a scene kind, or an INVALID_ARGUMENT error that lists the known kinds. */
export function getSceneKind(name: string): SceneKindSpec {
  const spec = (SCENE_KINDS as Record<string, SceneKindSpec>)[name];
  if (!spec) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `getSceneKind: scene must be one of ${Object.keys(SCENE_KINDS).join(", ")}, but got "${name}".`,
    );
  }
  return spec;
}
