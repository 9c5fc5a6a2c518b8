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
    preActivations(memory.view(gatesInfo), memory.view(pre), n, forgetBias);
    const act = scope.run("Sigmoid", { x: pre }); // tanh(j) fixed up below
    const hc = memory.alloc([...lead, 2 * n]);
    const twoC = scope.adopt(memory.alloc([...cInfo.shape]));
    cellState(memory.view(act), memory.view(cInfo), memory.view(hc), memory.view(twoC), n);
    const tanhC = scope.run("Sigmoid", { x: twoC });
    cellOutput(memory.view(act), memory.view(tanhC), memory.view(hc), n);
    return [hc, scope.result(act, []), scope.result(tanhC, [])];
  } finally {
    scope.dispose();
  }
}

// The loops are small module-level functions of arrays and numbers: V8 optimises each as a whole
// after a few calls (a loop inside the kernel function ran ~4x slower in a training step).

/** `pre = [i, 2j, f + forgetBias, o]` per position. */
function preActivations(gates: Float32Array, pre: Float32Array, n: number, forgetBias: number): void {
  pre.set(gates);
  for (let base = 0; base < pre.length; base += 4 * n) {
    for (let k = base + n; k < base + 2 * n; k++) pre[k] = 2 * (pre[k] as number);
    for (let k = base + 2 * n; k < base + 3 * n; k++) pre[k] = (pre[k] as number) + forgetBias;
  }
}

/** `act`'s j block becomes tanh j; `hc`'s c half gets c'; `twoC = 2 c'` (for tanh c'). */
function cellState(
  act: Float32Array,
  c: Float32Array,
  hc: Float32Array,
  twoC: Float32Array,
  n: number,
): void {
  for (let p = 0, ci = 0; ci < c.length; p += 4 * n, ci += n) {
    for (let k = 0; k < n; k++) {
      const tj = 2 * (act[p + n + k] as number) - 1;
      act[p + n + k] = tj;
      const cNext = (act[p + 2 * n + k] as number) * (c[ci + k] as number) + (act[p + k] as number) * tj;
      hc[2 * ci + n + k] = cNext;
      twoC[ci + k] = 2 * cNext;
    }
  }
}

/** `tanhC` from sigmoid(2c') in place; `hc`'s h half gets `sigmoid(o) tanh(c')`. */
function cellOutput(act: Float32Array, tanhC: Float32Array, hc: Float32Array, n: number): void {
  for (let p = 0, ci = 0; ci < tanhC.length; p += 4 * n, ci += n) {
    for (let k = 0; k < n; k++) {
      const tc = 2 * (tanhC[ci + k] as number) - 1;
      tanhC[ci + k] = tc;
      hc[2 * ci + k] = (act[p + 3 * n + k] as number) * tc;
    }
  }
}

/** The cell's gradient per position (see {@link LSTM_CELL_GRAD_KERNEL}). */
function cellGrad(
  dhc: Float32Array,
  c: Float32Array,
  act: Float32Array,
  tanhC: Float32Array,
  dgates: Float32Array,
  dc: Float32Array,
  n: number,
): void {
  for (let gi = 0, ci = 0; ci < c.length; gi += 4 * n, ci += n) {
    const di = 2 * ci;
    for (let k = 0; k < n; k++) {
      const si = act[gi + k] as number;
      const tj = act[gi + n + k] as number;
      const sf = act[gi + 2 * n + k] as number;
      const so = act[gi + 3 * n + k] as number;
      const t = tanhC[ci + k] as number;
      const dh = dhc[di + k] as number;
      const dcTotal = (dhc[di + n + k] as number) + dh * so * (1 - t * t);
      dgates[gi + k] = dcTotal * tj * si * (1 - si);
      dgates[gi + n + k] = dcTotal * si * (1 - tj * tj);
      dgates[gi + 2 * n + k] = dcTotal * (c[ci + k] as number) * sf * (1 - sf);
      dgates[gi + 3 * n + k] = dh * t * so * (1 - so);
      dc[ci + k] = dcTotal * sf;
    }
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
  compute: ([dhc, c, act, tanhC], [dgates, dc], _attrs, [, cInfo]) => {
    const shape = (cInfo as tf.TensorInfo).shape;
    cellGrad(
      dhc as Float32Array,
      c as Float32Array,
      act as Float32Array,
      tanhC as Float32Array,
      dgates as Float32Array,
      dc as Float32Array,
      shape[shape.length - 1] as number,
    );
  },
};
