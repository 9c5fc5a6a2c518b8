import { registerHostKernels } from "./host-kernel.js";
import { LSTM_CELL_GRAD_KERNEL, LSTM_CELL_KERNEL } from "./lstm-cell.js";

/** The fused kernels (names in `@gqn/core`'s `FUSED_KERNELS`), registered for wasm and cpu. */
const FUSED_HOST_KERNELS = [LSTM_CELL_KERNEL, LSTM_CELL_GRAD_KERNEL] as const;

/**
 * Registers the fused kernels (the ConvLSTM cell and its gradient) for the wasm and
 * cpu backends; `initBackend` calls it. Their callers fall back to plain tfjs ops on backends
 * without them. Idempotent.
 */
export function registerFusedKernels(): void {
  registerHostKernels(FUSED_HOST_KERNELS);
}
