import * as tf from "@tensorflow/tfjs-core";

/**
 * The gradient of `tf.tile` as one reshape and one sum: `dy` viewed as
 * `[reps0, x0, reps1, x1, ...]`, summed over the `reps` axes. tfjs' own gradient adds one
 * slice of `dy` per tile, in JS loops: a GQN representation `[B,1,1,256]` tiled to the 16x16
 * core grid costs 256 slices and 256 adds (512 kernel calls), and it throws for rank 5.
 * Untiled axes are merged into their neighbours and size-1 ones dropped, because WebGPU's
 * kernels stop at rank 6 (the representation's view is `[B, 16, 16, 256]`, not rank 8); where
 * the view still exceeds rank 6, the tiled axes are summed one at a time, each as a rank-3 view.
 */
export const TILE_GRADIENT: tf.GradConfig = {
  kernelName: "Tile",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { reps } = attrs as unknown as tf.TileAttrs;
    return { x: () => tileGradient(dy as tf.Tensor, x.shape, reps as number[]) };
  },
};

const MAX_RANK = 6;

function tileGradient(dy: tf.Tensor, xShape: number[], reps: number[]): tf.Tensor {
  // dy axis a (size reps[a] * x[a]) splits as [reps[a], x[a]]: tile repeats whole copies. An
  // untiled axis continues the x block before it, so the two merge; blocks of size 1 drop out.
  const groups: { rep: number; size: number }[] = [];
  xShape.forEach((d, a) => {
    const rep = reps[a] as number;
    const last = groups[groups.length - 1];
    if (rep === 1 && last) last.size *= d;
    else groups.push({ rep, size: d });
  });
  const split: number[] = [];
  const repAxes: number[] = [];
  for (const { rep, size } of groups) {
    if (rep > 1) {
      repAxes.push(split.length);
      split.push(rep);
    }
    if (size > 1) split.push(size);
  }
  if (repAxes.length === 0) return tf.reshape(dy, xShape);
  if (split.length <= MAX_RANK) return tf.reshape(tf.sum(tf.reshape(dy, split), repAxes), xShape);
  let g = dy;
  let shape = [...dy.shape];
  xShape.forEach((d, a) => {
    const r = reps[a] as number;
    if (r === 1) return;
    const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
    const inner = shape.slice(a + 1).reduce((p, q) => p * q, d);
    const summed = tf.sum(tf.reshape(g, [outer, r, inner]), 1);
    if (g !== dy) g.dispose();
    shape = shape.map((s, i) => (i === a ? d : s));
    g = tf.reshape(summed, shape);
    if (g !== summed) summed.dispose();
  });
  return g;
}

let registered = false;

/**
 * Registers the training gradients of this package that replace tfjs' own (for every backend):
 * today {@link TILE_GRADIENT}. Call after tfjs' gradients are registered (importing
 * `@tensorflow/tfjs-layers` does that); `initBackend` calls it. Idempotent.
 */
export function registerTrainingGradients(): void {
  if (registered && tf.getGradient("Tile") === TILE_GRADIENT) return;
  tf.registerGradient(TILE_GRADIENT);
  registered = true;
}
