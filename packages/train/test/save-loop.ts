// Child process of checkpoint-kill.test.ts: saves checkpoints of a ~1 M-parameter model with its
// Adam moments back to back (so a kill lands inside a save), reporting each completed save on
// stdout until it is killed.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { latestCheckpoint, loadCheckpoint } from "@gqn/eval/node";
import * as tfl from "@tensorflow/tfjs-layers";
import { readAdamState } from "../src/adam-state.js";
import { saveCheckpoint } from "../src/node/checkpoint.js";

const modelDir = process.argv[2] ?? "";
await tf.setBackend("cpu");
const input = tfl.input({ shape: [512] });
const output = tfl.layers.dense({ units: 2048 }).apply(input) as tfl.SymbolicTensor;
const model = tfl.model({ inputs: input, outputs: output });
const optimizer = tf.train.adam(1e-3);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
let step = 0;
if (await latestCheckpoint(modelDir)) step = (await loadCheckpoint(modelDir)).step;
tf.tidy(() => {
  optimizer.minimize(
    () => tf.mean(tf.square(model.apply(tf.ones([1, 512])) as tf.Tensor)) as tf.Scalar,
    false,
    vars,
  );
});
for (;;) {
  step++;
  const optimizerState = await readAdamState(optimizer);
  await saveCheckpoint({ modelDir, step, model, optimizerState, state: { marker: step * 7 }, keep: 2 });
  tf.dispose(optimizerState.map((w) => w.tensor));
  process.stdout.write(`saved ${step}\n`);
}
