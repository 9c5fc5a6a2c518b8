// @gqn/model: the GQN itself, from context frames to a rendered query view and the ELBO.
// Platform-neutral (runs in a browser). Importing it registers the GqnLayer class (and its 0.0.0
// name, GqnRenderer), which tf.loadLayersModel needs to load a saved GqnModel. The GQN's math is
// gqn.ts, top to bottom.
export {
  bitsPerDim,
  type ContextInput,
  type ElboTerms,
  type InferOptions,
  psnrFromMse,
  type RenderOptions,
} from "./gqn.js";
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
} from "./gqn-config.js";
export {
  type EvalMetrics,
  type EvalResult,
  type EvaluateOptions,
  GqnModel,
  type GqnModelOptions,
} from "./gqn-model.js";
export { imageGrid, scaleImage, toRgbImages } from "./images.js";
export { type OrbitOptions, type PriorRenderer, renderOrbit, type UpAxis } from "./orbit.js";
