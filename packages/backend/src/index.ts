export {
  type BackendInfo,
  type BackendRequest,
  ensureGradients,
  INSTALL_HINTS,
  type InitBackendOptions,
  initBackend,
} from "./backend-selection.js";
export { FUSED_HOST_KERNELS, registerFusedKernels } from "./fused/index.js";
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from "./register-wasm-training-kernels.js";
export { registerTrainingGradients, TILE_GRADIENT } from "./tile-gradient.js";
