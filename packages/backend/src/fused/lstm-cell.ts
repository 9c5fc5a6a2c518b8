import { FUSED_KERNELS } from "@gqn/core";
import type * as tf from "@tensorflow/tfjs-core";
import { KernelScope } from "../wasm-kernels/kernel-scope.js";
import { type ArrayKernelSpec, arrayKernelFunc, type HostKernel, hostMemory } from "./host-kernel.js";

/** The cell's channels C (the last axis of `c`), checked against `gates`' 4C and leading axes. */
function channelsOf(gates: tf.TensorInfo, c: tf.TensorInfo, where: string): number {
  const channels = c.shape[c.shape.length - 1] as number;
  if (
    gates.shape[gates.shape.length - 1] !== 4 * channels ||
    gates.shape.slice(0, -1).join() !== c.shape.slice(0, -1).join()
  ) {
    throw new Error(
      `${where}: gates [${gates.shape.join(", ")}] must be shaped like c [${c.shape.join(", ")}] with 4x the channels.`,
    );
  }
  return channels;
}

/**
 * The ConvLSTM state update in one pass over the gates (instead of a split, four activations,
 * three products and a sum, each a kernel with its tape entry and saved copies):
 * `c' = sigmoid(f + forgetBias) c + sigmoid(i) tanh(j)`, `h' = sigmoid(o) tanh(c')`.
 * Outputs `hc` (h' then c' per position), the activations and `tanh c'` for the gradient.
 */
export const LSTM_CELL_KERNEL: HostKernel = {
  name: FUSED_KERNELS.lstmCell,
  kernelFunc: (backendName) => (args) => lstmCellForward(args, backendName),
};

/**
 * JavaScript's Math.exp and Math.tanh cost ~20-40 ns each, 5-10x the backend's vectorised
 * Sigmoid: the forward pass runs the transcendentals as two Sigmoid kernels over whole tensors,
 * with tanh(x) = 2 sigmoid(2x) - 1, and does the rest in two JavaScript passes.
 */
function lstmCellForward({ inputs, attrs = {}, backend }: Parameters<tf.KernelFunc>[0], backendName: string) {
  const gatesInfo = inputs.gates as tf.TensorInfo;
  const cInfo = inputs.c as tf.TensorInfo;
  const n = channelsOf(gatesInfo, cInfo, FUSED_KERNELS.lstmCell);
  const forgetBias = (attrs.forgetBias as number | undefined) ?? 1;
  const kernelBackend = backend as tf.KernelBackend;
  const memory = hostMemory(kernelBackend);
  const scope = new KernelScope(kernelBackend, backendName);
  const lead = cInfo.shape.slice(0, -1);
  try {
    // Pre-activations [i, 2j, f + forgetBias, o] -> one Sigmoid.
    const pre = scope.adopt(memory.alloc([...gatesInfo.shape]));
    {
      const g = memory.view(gatesInfo);
      const p = memory.view(pre);
      for (let base = 0; base < g.length; base += 4 * n) {
        for (let k = 0; k < n; k++) {
          p[base + k] = g[base + k] as number;
          p[base + n + k] = 2 * (g[base + n + k] as number);
          p[base + 2 * n + k] = (g[base + 2 * n + k] as number) + forgetBias;
          p[base + 3 * n + k] = g[base + 3 * n + k] as number;
        }
      }
    }
    const act = scope.run("Sigmoid", { x: pre }); // tanh(j) fixed up below
    const hc = memory.alloc([...lead, 2 * n]);
    const twoC = scope.adopt(memory.alloc([...cInfo.shape]));
    {
      const a = memory.view(act);
      const c = memory.view(cInfo);
      const out = memory.view(hc);
      const t2 = memory.view(twoC);
      for (let p = 0, ci = 0; ci < c.length; p += 4 * n, ci += n) {
        for (let k = 0; k < n; k++) {
          const tj = 2 * (a[p + n + k] as number) - 1;
          a[p + n + k] = tj;
          const cNext = (a[p + 2 * n + k] as number) * (c[ci + k] as number) + (a[p + k] as number) * tj;
          out[2 * ci + n + k] = cNext;
          t2[ci + k] = 2 * cNext;
        }
      }
    }
    const tanhC = scope.run("Sigmoid", { x: twoC });
    {
      const a = memory.view(act);
      const out = memory.view(hc);
      const t = memory.view(tanhC);
      for (let p = 0, ci = 0; ci < t.length; p += 4 * n, ci += n) {
        for (let k = 0; k < n; k++) {
          const tc = 2 * (t[ci + k] as number) - 1;
          t[ci + k] = tc;
          out[2 * ci + k] = (a[p + 3 * n + k] as number) * tc;
        }
      }
    }
    return [hc, scope.result(act, []), scope.result(tanhC, [])];
  } finally {
    scope.dispose();
  }
}

/**
 * The gradient of {@link LSTM_CELL_KERNEL} from its saved activations, in one pass:
 * `dc_total = dc' + dh' so (1 - tanh(c')^2)`, then each gate's pre-activation gradient and
 * `dc = dc_total sf`.
 */
export const LSTM_CELL_GRAD_KERNEL: HostKernel = {
  name: FUSED_KERNELS.lstmCellGrad,
  kernelFunc: () => arrayKernelFunc(LSTM_CELL_GRAD_ARRAYS),
};

const LSTM_CELL_GRAD_ARRAYS: ArrayKernelSpec = {
  name: FUSED_KERNELS.lstmCellGrad,
  inputs: ["dhc", "c", "activations", "tanhC"],
  outputShapes: ([dhc, c, act]) => {
    const info = c as tf.TensorInfo;
    const channels = channelsOf(act as tf.TensorInfo, info, FUSED_KERNELS.lstmCellGrad);
    if ((dhc as tf.TensorInfo).shape[info.shape.length - 1] !== 2 * channels) {
      throw new Error(`${FUSED_KERNELS.lstmCellGrad}: dhc must have 2C channels.`);
    }
    return [[...(act as tf.TensorInfo).shape], [...info.shape]];
  },
  compute: ([dhcs, cs, acts, tanhCs], [dgates, dcPrev], _attrs, [, cInfo]) => {
    const d = dhcs as Float32Array;
    const c = cs as Float32Array;
    const a = acts as Float32Array;
    const tc = tanhCs as Float32Array;
    const dg = dgates as Float32Array;
    const dc = dcPrev as Float32Array;
    const n = (cInfo as tf.TensorInfo).shape[(cInfo as tf.TensorInfo).shape.length - 1] as number;
    const positions = c.length / n;
    for (let p = 0; p < positions; p++) {
      const gi = 4 * n * p;
      const ci = n * p;
      const di = 2 * n * p;
      for (let k = 0; k < n; k++) {
        const si = a[gi + k] as number;
        const tj = a[gi + n + k] as number;
        const sf = a[gi + 2 * n + k] as number;
        const so = a[gi + 3 * n + k] as number;
        const t = tc[ci + k] as number;
        const dh = d[di + k] as number;
        const dcTotal = (d[di + n + k] as number) + dh * so * (1 - t * t);
        dg[gi + k] = dcTotal * tj * si * (1 - si);
        dg[gi + n + k] = dcTotal * si * (1 - tj * tj);
        dg[gi + 2 * n + k] = dcTotal * (c[ci + k] as number) * sf * (1 - sf);
        dg[gi + 3 * n + k] = dh * t * so * (1 - so);
        dc[ci + k] = dcTotal * sf;
      }
    }
  },
};
