// @gqn/model: the GQN itself, from context frames to a rendered query view and the ELBO.
// Platform-neutral (runs in a browser). Importing it registers the GqnRenderer layer class, which
// tf.loadLayersModel needs to load a saved GqnModel.
export { buildCondition } from "./condition.js";
export {
  bitsPerDim,
  type ElboTerms,
  elboTerms,
  gaussianNll,
  imageMse,
  nllFloor,
  psnrFromMse,
} from "./elbo.js";
export type { GqnBatch } from "./gqn-batch.js";
export {
  completeGqnConfig,
  GQN_PRESET_NAMES,
  GQN_PRESETS,
  type GqnConfig,
  type GqnConfigOverrides,
  type GqnPreset,
  type GqnPresetName,
  getPreset,
  resolveGqnConfig,
  validateGqnConfig,
} from "./gqn-config.js";
export type { ContextInput, InferOptions, RenderOptions } from "./gqn-layer.js";
export {
  type EvalMetrics,
  type EvalResult,
  type EvaluateOptions,
  GqnModel,
  type GqnModelOptions,
} from "./gqn-model.js";
export { imageGrid, scaleImage, toRgbImages } from "./images.js";
export { type OrbitOptions, orbitPoses, type PriorRenderer, renderOrbit, type UpAxis } from "./orbit.js";
