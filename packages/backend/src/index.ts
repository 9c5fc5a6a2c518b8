export {
  type BackendInfo,
  type BackendRequest,
  ensureGradients,
  INSTALL_HINTS,
  type InitBackendOptions,
  initBackend,
} from "./backend-selection.js";
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from "./register-wasm-training-kernels.js";
export { registerTrainingGradients, TILE_GRADIENT } from "./tile-gradient.js";
