// Platform-neutral entry: scene generation and the CPU ray caster (no file system, no workers).
export { cameraBasis, cameraLookAt } from "./camera.js";
export { generateScene, sceneSeed } from "./generate-scene.js";
export { renderScene, renderSceneWithObjects, renderView } from "./render-scene.js";
export { roomsDepthRange } from "./rooms-ring-camera.js";
export type { Scene, SceneObject } from "./scene.js";
export { SCENE_KINDS, type SceneKind } from "./scene-kinds.js";
