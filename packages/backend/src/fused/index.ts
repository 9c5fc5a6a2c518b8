import { ATTENTION_READ_GRAD_KERNEL, ATTENTION_READ_KERNEL } from "./attention-read.js";
import { BILINEAR_SAMPLE_GRAD_KERNEL, BILINEAR_SAMPLE_KERNEL } from "./bilinear-sample.js";
import { registerHostKernels } from "./host-kernel.js";
import { LSTM_CELL_GRAD_KERNEL, LSTM_CELL_KERNEL } from "./lstm-cell.js";

/** The fused kernels (names in `@gqn/core`'s `FUSED_KERNELS`), registered for wasm and cpu. */
const FUSED_HOST_KERNELS = [
  LSTM_CELL_KERNEL,
  LSTM_CELL_GRAD_KERNEL,
  BILINEAR_SAMPLE_KERNEL,
  BILINEAR_SAMPLE_GRAD_KERNEL,
  ATTENTION_READ_KERNEL,
  ATTENTION_READ_GRAD_KERNEL,
] as const;

/**
 * Registers the fused kernels (the ConvLSTM cell, bilinear sampling, attention reads, and their gradients) for the wasm and
 * cpu backends; `initBackend` calls it. Their callers fall back to plain tfjs ops on backends
 * without them. Idempotent.
 */
export function registerFusedKernels(): void {
  registerHostKernels(FUSED_HOST_KERNELS);
}
