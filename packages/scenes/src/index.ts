// Platform-neutral entry: scene generation and the CPU ray caster (no file system, no workers).
export {
  CAMERA_CONVENTIONS,
  type CameraBasis,
  type CameraVector,
  cameraBasis,
  cameraLookAt,
} from "./camera.js";
export { hsvToRgb, saturatedPalette } from "./colors.js";
export { generateScene, type SceneSample, sceneSeed } from "./generate-scene.js";
export { CompiledScene, type ObjectLayers } from "./ray-caster.js";
export { type RenderSceneOptions, renderScene, renderSceneWithObjects, renderView } from "./render-scene.js";
export {
  createRoomsScene,
  FLOOR_COLORS,
  ROOMS_DEFAULTS,
  type RoomsConfig,
  ringCameras,
  roomsDepthRange,
  WALL_COLORS,
} from "./rooms-ring-camera.js";
export type {
  BoxObject,
  ConeObject,
  CylinderObject,
  Lighting,
  Rgb,
  Room,
  Scene,
  SceneObject,
  SphereObject,
  Vec3,
} from "./scene.js";
export { getSceneKind, SCENE_KINDS, type SceneKind, type SceneKindSpec } from "./scene-kinds.js";
export {
  createShepardMetzlerScene,
  randomWalkCells,
  SHEPARD_METZLER_DEFAULTS,
  type ShepardMetzlerConfig,
  shepardMetzlerDepthRange,
  sphereCameras,
} from "./shepard-metzler.js";
