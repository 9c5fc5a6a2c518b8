// Node-only entry (@gqn/backend/node): the onnxruntime-node convolution accelerator.
export {
  enableOnnxConvAccelerator,
  type OnnxConvAccelerator,
  type OnnxConvAcceleratorOptions,
  tryEnableOnnxConvAccelerator,
} from "./onnx/onnx-conv-accelerator.js";
