import { GqnModel, resolveGqnConfig } from "@gqn/model";
import { createTrainer } from "@gqn/train";
import * as tf from "@tensorflow/tfjs-core";
import "./patch-encoder.js"; // registers the "patch" type

/**
 * The custom encoder inside the full GQN: the `tiny` preset with its encoder swapped for
 * `{ type: "patch" }` (a config field, so checkpoints rebuild it by name), trained `steps` Adam
 * steps on one fixed batch of random scenes. Returns the loss (negative ELBO, nats) per step.
 */
export async function trainPatchGqn(steps: number, seed = 1): Promise<number[]> {
  const config = resolveGqnConfig("tiny", { frameSize: 16, encoder: { type: "patch", channels: 16 } });
  const model = GqnModel.create(config, { seed });
  const trainer = createTrainer(model, {
    batchSize: 4,
    contextSize: 3,
    sigma: { start: 0.7, end: 0.7, steps: 1 },
    learningRate: { start: 1e-3, end: 1e-3, steps: 1 },
    adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  });
  const batch = {
    contextFrames: tf.randomUniform([4, 3, 16, 16, 3], 0, 1, "float32", seed) as tf.Tensor5D,
    contextPoses: tf.randomNormal([4, 3, 7], 0, 1, "float32", seed + 1) as tf.Tensor3D,
    queryPose: tf.randomNormal([4, 7], 0, 1, "float32", seed + 2) as tf.Tensor2D,
    target: tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", seed + 3) as tf.Tensor4D,
  };
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const metrics = await trainer.step(batch, step, { seed: step + 1 });
      losses.push(metrics.elbo);
    }
  } finally {
    tf.dispose(Object.values(batch));
    trainer.dispose();
    model.dispose();
  }
  return losses;
}
