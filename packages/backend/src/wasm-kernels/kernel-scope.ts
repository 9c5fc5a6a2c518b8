import * as tf from "@tensorflow/tfjs-core";

/** A tfjs backend as kernel functions see it: enough to free intermediate results. */
export type KernelBackendLike = tf.KernelBackend;

/**
 * Runs other kernels of one backend from inside a kernel function and frees their intermediate
 * outputs. Kernel functions must not call tfjs ops (that would record on the gradient tape and
 * nest engine scopes), so composite kernels call the backend's own kernel functions directly,
 * as tfjs' own backends do.
 */
export class KernelScope {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackendLike,
    readonly backendName: string,
  ) {}

  /** Runs kernel `name` of this backend; its output is freed by {@link dispose} unless kept. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel)
      throw new Error(`KernelScope.run: kernel ${name} is not registered for ${this.backendName}.`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as tf.TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  /** Makes `info` (e.g. a fresh `backend.makeOutput`) a temporary of this scope. */
  adopt(info: tf.TensorInfo): tf.TensorInfo {
    this.temporaries.push(info);
    return info;
  }

  /** Frees a temporary now (large intermediates), instead of at the end. */
  free(info: tf.TensorInfo): void {
    const index = this.temporaries.indexOf(info);
    if (index >= 0) {
      this.temporaries.splice(index, 1);
      this.backend.disposeData(info.dataId);
    }
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    if (perm.every((axis, i) => axis === i)) return x;
    return this.run("Transpose", { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
    return this.run("Reshape", { x }, { shape });
  }

  /** Slices, or returns `x` itself when the slice is the whole tensor. */
  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    if (begin.every((b, i) => b === 0 && size[i] === x.shape[i])) return x;
    return this.run("Slice", { x }, { begin, size });
  }

  /** Zero padding, or `x` itself when there is none. */
  pad(x: tf.TensorInfo, paddings: Array<[number, number]>): tf.TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run("PadV2", { x }, { paddings, constantValue: 0 });
  }

  /**
   * Marks `out` as the kernel's result: it is not freed, and if it is one of the inputs (a
   * no-op path), it is copied so that the engine gets a tensor of its own.
   */
  result(out: tf.TensorInfo, inputs: tf.TensorInfo[]): tf.TensorInfo {
    const index = this.temporaries.indexOf(out);
    if (index >= 0) {
      this.temporaries.splice(index, 1);
      return out;
    }
    if (inputs.some((input) => input.dataId === out.dataId)) {
      const copy = this.run("Identity", { x: out });
      this.temporaries.pop();
      return copy;
    }
    return out;
  }

  /** Frees every temporary not returned by {@link result}. */
  dispose(): void {
    for (const info of this.temporaries) this.backend.disposeData(info.dataId);
    this.temporaries.length = 0;
  }
}
