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
  const [i, j, f, o] = tf.split(gates, 4, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const c = tf.add(
    tf.mul(tf.sigmoid(tf.add(f, 1)), state.c),
    tf.mul(tf.sigmoid(i), tf.tanh(j)),
  ) as tf.Tensor4D;
  const h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor4D;
  return { h, c };
}
