import { FUSED_KERNELS } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { plainMatMul } from "./plain-matmul.js";

/** Whether the active backend has `@gqn/backend`'s fused attention kernels (wasm and cpu). */
function hasFusedAttention(): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(FUSED_KERNELS.attentionRead, backend) !== undefined &&
    tf.getKernel(FUSED_KERNELS.attentionReadGrad, backend) !== undefined
  );
}

/**
 * Scaled dot-product attention of one query per row over that row's own keys:
 * `softmax(scale q . keys + bias) . values`, differentiable in `q`, `keys` and `values` (the
 * bias is a constant mask). Where `@gqn/backend`'s fused kernels are registered (wasm, cpu) it
 * is one op each way; elsewhere batched products of plain ops, the reference it is tested against.
 *
 * @param q - `[N, d]`.
 * @param keys - `[N, d, J]`: each row's J keys, transposed.
 * @param values - `[N, J, V]`.
 * @param bias - `[N, J]`: added to the scores (-1e9 masks a key out).
 * @returns `[N, V]`, owned by the caller.
 */
export function attentionRead(
  q: tf.Tensor2D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  bias: tf.Tensor2D,
  scale: number,
  options: { fused?: boolean } = {},
): tf.Tensor2D {
  const [n, d] = q.shape;
  const v = values.shape[2];
  if (options.fused ?? hasFusedAttention()) {
    const read = tf.customGrad((qq, kk, vv, save) => {
      const [out, weights] = tf.engine().runKernel(
        FUSED_KERNELS.attentionRead,
        { q: qq as tf.Tensor, keys: kk as tf.Tensor, values: vv as tf.Tensor, bias },
        {
          scale,
        },
      ) as tf.Tensor[];
      (save as tf.GradSaveFunc)([qq as tf.Tensor, kk as tf.Tensor, vv as tf.Tensor, weights as tf.Tensor]);
      return {
        value: out as tf.Tensor,
        gradFunc: (dy, saved) => {
          const [sq, sk, sv, sw] = saved as tf.Tensor[];
          return tf.engine().runKernel(
            FUSED_KERNELS.attentionReadGrad,
            {
              dRead: dy as tf.Tensor,
              q: sq as tf.Tensor,
              keys: sk as tf.Tensor,
              values: sv as tf.Tensor,
              weights: sw as tf.Tensor,
            },
            { scale },
          ) as tf.Tensor[];
        },
      };
    });
    return read(q, keys, values) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const scores = tf.add(tf.mul(plainMatMul(tf.reshape(q, [n, 1, d]), keys), scale), tf.expandDims(bias, 1)); // [N, 1, J]
    return tf.reshape(plainMatMul(tf.softmax(scores), values), [n, v]) as tf.Tensor2D; // [N, V]
  });
}
