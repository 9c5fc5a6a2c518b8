import { FUSED_KERNELS } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/** The state of a ConvLSTM: hidden `h` and cell `c`, both `[B, h, w, C]`. */
export interface ConvLstmState {
  h: tf.Tensor4D;
  c: tf.Tensor4D;
}

/**
 * One ConvLSTM step: ONE 'same' convolution of `concat(input, h)` to 4C channels, split as
 * (input i, candidate j, forget f, output o), with forget bias 1.0:
 * `c' = sigmoid(f + 1) c + sigmoid(i) tanh(j)`, `h' = sigmoid(o) tanh(c')`.
 *
 * @param kernel - `[k, k, inputChannels + C, 4C]`.
 * @param bias - `[4C]`.
 * @returns the new state (tensors owned by the caller; call inside `tf.tidy`).
 */
export function convLstmStep(
  input: tf.Tensor4D,
  state: ConvLstmState,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
): ConvLstmState {
  const gates = tf.fused.conv2d({
    x: tf.concat([input, state.h], 3),
    filter: kernel,
    strides: 1,
    pad: "same",
    bias,
  }) as tf.Tensor4D;
  return convLstmUpdate(gates, state);
}

/**
 * The gate update of {@link convLstmStep} from precomputed pre-activations `gates`
 * (`[B, h, w, 4 * hidden]`, bias included; gate order i, j, f, o), e.g. a step whose input conv
 * is split into a part that stays constant over steps (computed once) and a part that changes.
 */
export function convLstmUpdate(gates: tf.Tensor4D, state: ConvLstmState): ConvLstmState {
  return hasFusedCell() ? fusedConvLstmUpdate(gates, state) : unfusedConvLstmUpdate(gates, state);
}

/** Whether the active backend has `@gqn/backend`'s fused cell kernels (wasm and cpu, after `initBackend`). */
export function hasFusedCell(): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(FUSED_KERNELS.lstmCell, backend) !== undefined &&
    tf.getKernel(FUSED_KERNELS.lstmCellGrad, backend) !== undefined
  );
}

/** The fused cell kernel (forget bias 1): `[hc (h' then c'), activations, tanh c']`. */
export function lstmCellKernel(gates: tf.Tensor, c: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(FUSED_KERNELS.lstmCell, { gates, c }, { forgetBias: 1 }) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** The fused cell's gradient kernel: `[dgates, dc]` from the gradient of `hc` and the saved cell values. */
export function lstmCellGradKernel(
  dhc: tf.Tensor,
  c: tf.Tensor,
  activations: tf.Tensor,
  tanhC: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(FUSED_KERNELS.lstmCellGrad, { dhc, c, activations, tanhC }) as [
    tf.Tensor,
    tf.Tensor,
  ];
}

// One kernel forward and one backward (with a hand-written gradient from the saved activations),
// instead of ~11 element-wise kernels forward and ~25 backward, each with its tape entry: these
// were a third of a tiny training step. The custom gradient has one output, so h' and c' come
// packed and are split after it.
const fusedCell = tf.customGrad((gates, c, save) => {
  const [hc, activations, tanhC] = lstmCellKernel(gates as tf.Tensor, c as tf.Tensor);
  (save as tf.GradSaveFunc)([c as tf.Tensor, activations as tf.Tensor, tanhC as tf.Tensor]);
  return {
    value: hc as tf.Tensor,
    gradFunc: (dhc: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [cPrev, act, tc] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return lstmCellGradKernel(dhc as tf.Tensor, cPrev, act, tc);
    },
  };
});

/** {@link convLstmUpdate} through the fused kernels. */
export function fusedConvLstmUpdate(gates: tf.Tensor4D, state: ConvLstmState): ConvLstmState {
  const hc = fusedCell(gates, state.c) as tf.Tensor4D; // [B, h, w, 2C]: h' then c'
  const [h, c] = tf.split(hc, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  return { h, c };
}

/** {@link convLstmUpdate} in plain tfjs ops (any backend; the reference the fused kernels are tested against). */
export function unfusedConvLstmUpdate(gates: tf.Tensor4D, state: ConvLstmState): ConvLstmState {
  const [i, j, f, o] = tf.split(gates, 4, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const c = tf.add(
    tf.mul(tf.sigmoid(tf.add(f, 1)), state.c),
    tf.mul(tf.sigmoid(i), tf.tanh(j)),
  ) as tf.Tensor4D;
  const h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor4D;
  return { h, c };
}

/** A ConvLSTM core within one pass whose input starts with a tensor fixed over the pass. */
export interface ConditionedCore {
  /** `convLstmStep(concat(condition, ...rest), state, kernel, bias)`. */
  step(rest: readonly tf.Tensor4D[], state: ConvLstmState): ConvLstmState;
}

/**
 * A core for a pass over steps that all read `condition` first (DRAW's: the scene representation
 * and query pose). With `precompute`, the condition's share of the gates, bias included, is
 * convolved once here and each step convolves only `concat(rest, h)` with the rest of the kernel:
 * exact up to float order, and ~40-50% of a GQN core's FLOPs and of its gradient's saved. Without
 * it, each step is one convolution of the whole input, as the paper writes it; that keeps no sliced
 * kernel copies (and their gradients) alive, which the largest cores need in a 4 GB wasm heap.
 *
 * @param condition - `[B, h, w, c]`, borrowed (kept by the returned core for the pass).
 * @param kernel - `[k, k, c + rest + hidden, 4 * hidden]`, input channels in that order.
 */
export function conditionedCore(
  condition: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
  options: { precompute: boolean },
): ConditionedCore {
  if (!options.precompute) {
    return {
      step: (rest, state) =>
        convLstmStep(tf.concat([condition, ...rest], 3) as tf.Tensor4D, state, kernel, bias),
    };
  }
  const [k, , inputs, outputs] = kernel.shape;
  const channels = condition.shape[3];
  const conditionGates = tf.fused.conv2d({
    x: condition,
    filter: tf.slice(kernel, [0, 0, 0, 0], [k, k, channels, outputs]),
    strides: 1,
    pad: "same",
    bias,
  }) as tf.Tensor4D; // [B, h, w, 4 * hidden], once per pass
  const restKernel = tf.slice(kernel, [0, 0, channels, 0], [k, k, inputs - channels, outputs]) as tf.Tensor4D;
  return {
    step: (rest, state) => {
      const gates = tf.add(
        conditionGates,
        tf.conv2d(tf.concat([...rest, state.h], 3) as tf.Tensor4D, restKernel, 1, "same"),
      ) as tf.Tensor4D;
      return convLstmUpdate(gates, state);
    },
  };
}
