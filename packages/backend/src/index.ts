export {
  type BackendInfo,
  type BackendRequest,
  ensureGradients,
  type InitBackendOptions,
  initBackend,
} from "./backend-selection.js";
export { registerFusedKernels } from "./fused/index.js";
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from "./register-wasm-training-kernels.js";
export { registerTrainingGradients } from "./tile-gradient.js";
export {
  findWebgpuAdapter,
  type WebgpuAdapterInfo,
  type WebgpuAvailability,
} from "./webgpu/webgpu-adapter.js";
