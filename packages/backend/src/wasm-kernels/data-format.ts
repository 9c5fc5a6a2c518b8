import type * as tf from "@tensorflow/tfjs-core";

type Pad = tf.Conv2DBackpropInputAttrs["pad"];

/**
 * `pad` for the NHWC convolution that an NCHW kernel runs after transposing its inputs: tfjs
 * reads explicit padding by data format (`[[0,0],[0,0],[top,bottom],[left,right]]` for NCHW),
 * so the pairs move to where NHWC reads them. Named paddings and numbers stay as they are.
 */
export function nhwcPad(pad: Pad, channelsFirst: boolean): Pad {
  if (!channelsFirst || !Array.isArray(pad)) return pad;
  const [, , rows, columns] = pad as tf.backend_util.ExplicitPadding;
  return [[0, 0], rows, columns, [0, 0]] as tf.backend_util.ExplicitPadding;
}
