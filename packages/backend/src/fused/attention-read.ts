import { FUSED_KERNELS } from "@gqn/core";
import type * as tf from "@tensorflow/tfjs-core";
import { arrayKernelFunc, type HostKernel } from "./host-kernel.js";

/** N, d, J and V from `q [N, d]`, `keys [N, d, J]`, `values [N, J, V]`, checked. */
function dims(q: tf.TensorInfo, keys: tf.TensorInfo, values: tf.TensorInfo, where: string) {
  const [n, d] = q.shape as [number, number];
  const j = keys.shape[2] as number;
  const v = values.shape[2] as number;
  if (
    q.shape.length !== 2 ||
    keys.shape.join() !== [n, d, j].join() ||
    values.shape.join() !== [n, j, v].join()
  ) {
    throw new Error(
      `${where}: q [N, d], keys [N, d, J] and values [N, J, V] must agree, but got [${q.shape.join(", ")}], [${keys.shape.join(", ")}] and [${values.shape.join(", ")}].`,
    );
  }
  return { n, d, j, v };
}

// Module-level loops over arrays and numbers, which V8 optimises as a whole.

function attend(
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  bias: Float32Array,
  read: Float32Array,
  weights: Float32Array,
  n: number,
  d: number,
  j: number,
  v: number,
  scale: number,
): void {
  read.fill(0);
  for (let row = 0; row < n; row++) {
    const w = row * j;
    for (let k = 0; k < j; k++) weights[w + k] = bias[w + k] as number;
    for (let c = 0; c < d; c++) {
      const qc = scale * (q[row * d + c] as number);
      const kb = (row * d + c) * j;
      for (let k = 0; k < j; k++) weights[w + k] = (weights[w + k] as number) + qc * (keys[kb + k] as number);
    }
    let max = -Infinity;
    for (let k = 0; k < j; k++) max = Math.max(max, weights[w + k] as number);
    let sum = 0;
    for (let k = 0; k < j; k++) {
      const e = Math.exp((weights[w + k] as number) - max);
      weights[w + k] = e;
      sum += e;
    }
    const r = row * v;
    for (let k = 0; k < j; k++) {
      const a = (weights[w + k] as number) / sum;
      weights[w + k] = a;
      const vb = (row * j + k) * v;
      for (let c = 0; c < v; c++) read[r + c] = (read[r + c] as number) + a * (values[vb + c] as number);
    }
  }
}

function attendGrad(
  dRead: Float32Array,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  weights: Float32Array,
  dq: Float32Array,
  dKeys: Float32Array,
  dValues: Float32Array,
  n: number,
  d: number,
  j: number,
  v: number,
  scale: number,
): void {
  const ds = new Float32Array(j);
  for (let row = 0; row < n; row++) {
    const w = row * j;
    const r = row * v;
    // da_k = dRead . v_k; dValues_k = a_k dRead; ds = a (da - sum a da), times the scale.
    let dot = 0;
    for (let k = 0; k < j; k++) {
      const a = weights[w + k] as number;
      const vb = (row * j + k) * v;
      let da = 0;
      for (let c = 0; c < v; c++) {
        const g = dRead[r + c] as number;
        da += g * (values[vb + c] as number);
        dValues[vb + c] = a * g;
      }
      ds[k] = da;
      dot += a * da;
    }
    for (let k = 0; k < j; k++) ds[k] = scale * (weights[w + k] as number) * ((ds[k] as number) - dot);
    for (let c = 0; c < d; c++) {
      const kb = (row * d + c) * j;
      const qc = q[row * d + c] as number;
      let g = 0;
      for (let k = 0; k < j; k++) {
        const s = ds[k] as number;
        g += s * (keys[kb + k] as number);
        dKeys[kb + k] = qc * s;
      }
      dq[row * d + c] = g;
    }
  }
}

/**
 * One attention read per row in one pass: the batched products tfjs would run (scores, then
 * the weighted values) are matrices of one row each, where the wasm backend's BatchMatMul pays
 * per batch entry (the backward's outer products, [512, 32, 1] x [512, 1, 80]: 8 ms each).
 */
export const ATTENTION_READ_KERNEL: HostKernel = {
  name: FUSED_KERNELS.attentionRead,
  kernelFunc: () =>
    arrayKernelFunc({
      name: FUSED_KERNELS.attentionRead,
      inputs: ["q", "keys", "values", "bias"],
      outputShapes: ([q, keys, values]) => {
        const { n, j, v } = dims(
          q as tf.TensorInfo,
          keys as tf.TensorInfo,
          values as tf.TensorInfo,
          FUSED_KERNELS.attentionRead,
        );
        return [
          [n, v],
          [n, j],
        ];
      },
      compute: ([q, keys, values, bias], [read, weights], attrs, [qi, ki, vi]) => {
        const { n, d, j, v } = dims(
          qi as tf.TensorInfo,
          ki as tf.TensorInfo,
          vi as tf.TensorInfo,
          FUSED_KERNELS.attentionRead,
        );
        attend(
          q as Float32Array,
          keys as Float32Array,
          values as Float32Array,
          bias as Float32Array,
          read as Float32Array,
          weights as Float32Array,
          n,
          d,
          j,
          v,
          attrs.scale as number,
        );
      },
    }),
};

/** The gradient of {@link ATTENTION_READ_KERNEL} from its saved weights. */
export const ATTENTION_READ_GRAD_KERNEL: HostKernel = {
  name: FUSED_KERNELS.attentionReadGrad,
  kernelFunc: () =>
    arrayKernelFunc({
      name: FUSED_KERNELS.attentionReadGrad,
      inputs: ["dRead", "q", "keys", "values", "weights"],
      outputShapes: ([, q, keys, values]) => {
        const { n, d, j, v } = dims(
          q as tf.TensorInfo,
          keys as tf.TensorInfo,
          values as tf.TensorInfo,
          FUSED_KERNELS.attentionReadGrad,
        );
        return [
          [n, d],
          [n, d, j],
          [n, j, v],
        ];
      },
      compute: ([dRead, q, keys, values, weights], [dq, dKeys, dValues], attrs, [, qi, ki, vi]) => {
        const { n, d, j, v } = dims(
          qi as tf.TensorInfo,
          ki as tf.TensorInfo,
          vi as tf.TensorInfo,
          FUSED_KERNELS.attentionReadGrad,
        );
        attendGrad(
          dRead as Float32Array,
          q as Float32Array,
          keys as Float32Array,
          values as Float32Array,
          weights as Float32Array,
          dq as Float32Array,
          dKeys as Float32Array,
          dValues as Float32Array,
          n,
          d,
          j,
          v,
          attrs.scale as number,
        );
      },
    }),
};
