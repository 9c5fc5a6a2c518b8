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
 * - `bilinearSample`: inputs `table [R, C]`, `indices [4, M]` (row numbers, stored as float32:
 *   exact below 2^24 rows) and `weights [4, M]`; output `[M, C]`, row m the weighted sum of the
 *   four rows `indices[:, m]` (bilinear interpolation's corners).
 * - `bilinearSampleGrad`: inputs `dy [M, C]`, `indices`, `weights`; attr `rows` (R); output the
 *   table's gradient `[R, C]` (each dy row added into its four rows, weighted).
 * - `attentionRead`: inputs `q [N, d]`, `keys [N, d, J]` (each row's keys, transposed), `values
 *   [N, J, V]` and `bias [N, J]` (added to the scores: -1e9 masks a key out); attr `scale`;
 *   outputs `read [N, V]` (softmax(scale q.keys + bias) . values) and the weights `[N, J]`.
 * - `attentionReadGrad`: inputs `dRead [N, V]`, `q`, `keys`, `values`, `weights`; attr `scale`;
 *   outputs `dq [N, d]`, `dKeys [N, d, J]`, `dValues [N, J, V]` (none for the constant bias).
 */
export const FUSED_KERNELS = Object.freeze({
  lstmCell: "GqnLstmCell",
  lstmCellGrad: "GqnLstmCellGrad",
  bilinearSample: "GqnBilinearSample",
  bilinearSampleGrad: "GqnBilinearSampleGrad",
  attentionRead: "GqnAttentionRead",
  attentionReadGrad: "GqnAttentionReadGrad",
} as const);
