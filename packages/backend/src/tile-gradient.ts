import * as tf from "@tensorflow/tfjs-core";

/**
 * The gradient of `tf.tile` as one reshape and one sum: `dy` viewed as
 * `[reps0, x0, reps1, x1, ...]`, summed over the `reps` axes. tfjs' own gradient adds one
 * slice of `dy` per tile, in JS loops: a GQN representation `[B,1,1,256]` tiled to the 16x16
 * core grid costs 256 slices and 256 adds (512 kernel calls), and it throws for rank 5.
 */
export const TILE_GRADIENT: tf.GradConfig = {
  kernelName: "Tile",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { reps } = attrs as unknown as tf.TileAttrs;
    return {
      x: () => {
        const g = dy as tf.Tensor;
        // dy axis a (size reps[a] * x[a]) splits as [reps[a], x[a]]: tile repeats whole copies.
        const split = x.shape.flatMap((d, a) => [reps[a] as number, d]);
        const repAxes = x.shape.map((_, a) => 2 * a);
        return tf.reshape(tf.sum(tf.reshape(g, split), repAxes), x.shape);
      },
    };
  },
};

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
