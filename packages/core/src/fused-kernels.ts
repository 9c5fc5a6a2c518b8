/**
 * Names of the fused kernels `@gqn/backend` registers (wasm and cpu). Callers check that one is
 * registered for the active backend (`tf.getKernel(name, tf.getBackend())`) and otherwise use the
 * plain tfjs ops they replace, so every backend keeps working without them.
 *
 * - `lstmCell`: inputs `gates [.., 4C]` (pre-activations i, j, f, o) and `c [.., C]`; attr
 *   `forgetBias`; outputs `hc [.., 2C]` (h' then c', packed: a custom gradient has one output),
 *   the activations `[.., 4C]` (sigmoid i, tanh j, sigmoid f, sigmoid o) and `tanh c'` `[.., C]`,
 *   which its gradient reads.
 * - `lstmCellGrad`: inputs `dhc [.., 2C]` (the gradient of `hc`), `c`, `activations`, `tanhC`;
 *   outputs `dgates [.., 4C]` and `dc [.., C]`.
 */
export const FUSED_KERNELS = Object.freeze({
  lstmCell: "GqnLstmCell",
  lstmCellGrad: "GqnLstmCellGrad",
} as const);
