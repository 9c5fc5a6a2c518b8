export { DEFAULT_DRAW_CONFIG, type DrawConfig, resolveDrawConfig } from "./config.js";
export { type ConvLstmState, convLstmStep } from "./conv-lstm.js";
export { DiagonalGaussian, gaussianFromHead } from "./diagonal-gaussian.js";
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
