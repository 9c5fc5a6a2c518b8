export {
  type BackendInfo,
  type BackendRequest,
  type InitBackendOptions,
  initBackend,
} from "./backend-selection.js";
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from "./register-wasm-training-kernels.js";
export {
  findWebgpuAdapter,
  type WebgpuAdapterInfo,
  type WebgpuAvailability,
} from "./webgpu/webgpu-adapter.js";
