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
export { trainingProbeMs } from "./webgpu/speed-check.js";
export {
  findWebgpuAdapter,
  WEBGPU_DRIVER_HINT,
  WEBGPU_INSTALL_HINT,
  type WebgpuAdapterInfo,
  type WebgpuAvailability,
} from "./webgpu/webgpu-adapter.js";
