export { DEFAULT_DRAW_CONFIG, type DrawConfig, resolveDrawConfig } from "./config.js";
export {
  type ConditionedCore,
  type ConvLstmState,
  conditionedCore,
  convLstmStep,
  convLstmUpdate,
} from "./conv-lstm.js";
export { DiagonalGaussian, gaussianFromHead, gaussianLogDensity } from "./diagonal-gaussian.js";
export {
  Draw,
  type DrawArgs,
  type DrawInferOptions,
  type DrawRead,
  type GenerateOptions,
  type GenerateResult,
  type InferResult,
} from "./draw.js";
export { gaussianNll, nllFloor } from "./gaussian-nll.js";
