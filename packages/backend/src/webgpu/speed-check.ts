import * as tf from "@tensorflow/tfjs-core";

/**
 * Milliseconds of one training-shaped workload on the active backend: a 5x5 convolution of
 * [4, 16, 16, 64] to 64 channels with both of its gradients, as DRAW's cores run them, timed
 * over 3 runs after one untimed run (which compiles a GPU backend's shaders). About a second on
 * wasm; `auto` compares backends with it.
 */
export async function trainingProbeMs(): Promise<number> {
  const [x, filter] = tf.tidy(() => [
    tf.randomNormal([4, 16, 16, 64]),
    tf.mul(tf.randomNormal([5, 5, 64, 64]), 0.05),
  ]);
  const gradients = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")),
  );
  const once = async () => {
    const total = tf.tidy(() => {
      const [dx, df] = gradients([x, filter]);
      return tf.add(tf.sum(dx as tf.Tensor), tf.sum(df as tf.Tensor));
    });
    await total.data();
    total.dispose();
  };
  try {
    await once();
    const start = performance.now();
    for (let i = 0; i < 3; i++) await once();
    return (performance.now() - start) / 3;
  } finally {
    tf.dispose([x, filter]);
  }
}
