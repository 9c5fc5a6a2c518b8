// Node-only entry (@gqn/backend/node): the onnxruntime-node convolution accelerator and
// data-parallel training on worker threads.

export { builtModule } from "./data-parallel/built-module.js";
export {
  createDataParallel,
  type DataParallel,
  type DataParallelGradients,
  type DataParallelOptions,
} from "./data-parallel/create-data-parallel.js";
export type { BuildReplica, Replica, ReplicaLoss, ReplicaStepContext } from "./data-parallel/replica.js";
export {
  enableOnnxConvAccelerator,
  type OnnxConvAccelerator,
  type OnnxConvAcceleratorOptions,
  type OnnxConvMethod,
  type OnnxConvStats,
  tryEnableOnnxConvAccelerator,
} from "./onnx/onnx-conv-accelerator.js";
