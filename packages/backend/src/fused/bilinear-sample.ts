import { FUSED_KERNELS } from "@gqn/core";
import type * as tf from "@tensorflow/tfjs-core";
import { type ArrayKernelSpec, arrayKernelFunc, type HostKernel } from "./host-kernel.js";

/** Rows M and channels C, checked: `indices` and `weights` `[4, M]`, `table` or `dy` `[.., C]`. */
function sampleShape(rowsOf: tf.TensorInfo, indices: tf.TensorInfo, weights: tf.TensorInfo, where: string) {
  const m = indices.shape[1] as number;
  if (
    indices.shape.length !== 2 ||
    indices.shape[0] !== 4 ||
    weights.shape.join() !== indices.shape.join() ||
    rowsOf.shape.length !== 2
  ) {
    throw new Error(
      `${where}: indices and weights must be [4, M] and the table [R, C], but got [${indices.shape.join(", ")}], [${weights.shape.join(", ")}] and [${rowsOf.shape.join(", ")}].`,
    );
  }
  return { m, c: rowsOf.shape[1] as number };
}

// The loops are module-level functions of arrays and numbers, which V8 optimises as a whole.

function sampleRows(
  table: Float32Array,
  idx: Float32Array,
  w: Float32Array,
  out: Float32Array,
  m: number,
  c: number,
) {
  out.fill(0);
  for (let corner = 0; corner < 4; corner++) {
    const at = corner * m;
    for (let i = 0; i < m; i++) {
      const weight = w[at + i] as number;
      if (weight === 0) continue;
      const from = (idx[at + i] as number) * c;
      const to = i * c;
      for (let ch = 0; ch < c; ch++)
        out[to + ch] = (out[to + ch] as number) + weight * (table[from + ch] as number);
    }
  }
}

function scatterRows(
  dy: Float32Array,
  idx: Float32Array,
  w: Float32Array,
  out: Float32Array,
  m: number,
  c: number,
) {
  out.fill(0);
  for (let corner = 0; corner < 4; corner++) {
    const at = corner * m;
    for (let i = 0; i < m; i++) {
      const weight = w[at + i] as number;
      if (weight === 0) continue;
      const to = (idx[at + i] as number) * c;
      const from = i * c;
      for (let ch = 0; ch < c; ch++)
        out[to + ch] = (out[to + ch] as number) + weight * (dy[from + ch] as number);
    }
  }
}

/**
 * Bilinear sampling as one pass over the rows: the wasm backend's GatherV2 copies ~50 ns per
 * element (a [2560, 32] table sampled at 40,960 points: 62 ms a corner), this loop ~1-2 ns.
 */
export const BILINEAR_SAMPLE_KERNEL: HostKernel = {
  name: FUSED_KERNELS.bilinearSample,
  kernelFunc: () =>
    arrayKernelFunc({
      name: FUSED_KERNELS.bilinearSample,
      inputs: ["table", "indices", "weights"],
      outputShapes: ([table, indices, weights]) => {
        const { m, c } = sampleShape(
          table as tf.TensorInfo,
          indices as tf.TensorInfo,
          weights as tf.TensorInfo,
          FUSED_KERNELS.bilinearSample,
        );
        return [[m, c]];
      },
      compute: ([table, idx, w], [out], _attrs, [info]) => {
        const c = (info as tf.TensorInfo).shape[1] as number;
        sampleRows(
          table as Float32Array,
          idx as Float32Array,
          w as Float32Array,
          out as Float32Array,
          (out as Float32Array).length / c,
          c,
        );
      },
    } satisfies ArrayKernelSpec),
};

/** The gradient of {@link BILINEAR_SAMPLE_KERNEL}: each row of dy added, weighted, into its four table rows. */
export const BILINEAR_SAMPLE_GRAD_KERNEL: HostKernel = {
  name: FUSED_KERNELS.bilinearSampleGrad,
  kernelFunc: () =>
    arrayKernelFunc({
      name: FUSED_KERNELS.bilinearSampleGrad,
      inputs: ["dy", "indices", "weights"],
      outputShapes: ([dy, indices, weights], attrs) => {
        const { c } = sampleShape(
          dy as tf.TensorInfo,
          indices as tf.TensorInfo,
          weights as tf.TensorInfo,
          FUSED_KERNELS.bilinearSampleGrad,
        );
        return [[attrs.rows as number, c]];
      },
      compute: ([dy, idx, w], [out], _attrs, [info]) => {
        const [m, c] = (info as tf.TensorInfo).shape as [number, number];
        scatterRows(dy as Float32Array, idx as Float32Array, w as Float32Array, out as Float32Array, m, c);
      },
    } satisfies ArrayKernelSpec),
};
