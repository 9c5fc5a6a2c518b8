// DRAW outside a GQN: a conditional generator of 16x16 shape images, conditioned on a class
// embedding, trained for a few hundred steps; it writes a PNG of samples, one row per class.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { initBackend } from "@gqn/backend";
import { Random } from "@gqn/core";
import { encodePng } from "@gqn/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { ShapeGenerator } from "./shape-generator.js";
import { SHAPE_CLASSES, shapeBatch } from "./shapes.js";

const SIZE = 16;
const STEPS = Number(process.env.STEPS ?? 300);
const BATCH = 32;

async function main(): Promise<void> {
  const backend = await initBackend({ backend: "auto", log: () => {} });
  const random = new Random(1);
  const model = new ShapeGenerator({ classes: SHAPE_CLASSES.length, size: SIZE, seed: 1 });
  console.log(
    `backend ${backend.backend}: training DRAW on ${SHAPE_CLASSES.join(", ")} (${SIZE} px) for ${STEPS} steps`,
  );
  const started = performance.now();
  let window: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const batch = shapeBatch(BATCH, SIZE, random);
    const images = tf.tensor4d(batch.images, [BATCH, SIZE, SIZE, 3]);
    const labels = tf.tensor1d(batch.labels, "int32");
    const loss = model.trainStep(images, labels, step);
    tf.dispose([images, labels]);
    window.push(loss.loss);
    if (step % 25 === 0 || step === 1) {
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      console.log(
        `step ${String(step).padStart(4)}  loss ${mean.toFixed(1)} nats/image (NLL ${loss.nll.toFixed(1)}, KL ${loss.kl.toFixed(2)})  ${((performance.now() - started) / step).toFixed(0)} ms/step`,
      );
      window = [];
    }
  }
  // One row per class, 8 prior samples each.
  const perClass = 8;
  const labels = tf.tensor1d(
    SHAPE_CLASSES.flatMap((_, c) => Array.from({ length: perClass }, () => c)),
    "int32",
  );
  const samples = model.sample(labels, 7); // [C*8, 16, 16, 3]
  const grid = tf.tidy(() => {
    const rows = tf.reshape(samples, [SHAPE_CLASSES.length, perClass, SIZE, SIZE, 3]);
    const wide = tf.reshape(tf.transpose(rows, [0, 2, 1, 3, 4]), [
      SHAPE_CLASSES.length * SIZE,
      perClass * SIZE,
      3,
    ]);
    return tf.cast(tf.round(tf.mul(wide, 255)), "int32");
  });
  const out = resolve("samples.png");
  writeFileSync(
    out,
    encodePng(Uint8Array.from(grid.dataSync()), perClass * SIZE, SHAPE_CLASSES.length * SIZE),
  );
  tf.dispose([labels, samples, grid]);
  model.dispose();
  console.log(`samples (rows: ${SHAPE_CLASSES.join(", ")}): ${out}`);
}

main().catch((error: unknown) => {
  console.error(`draw-in-your-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
