import { isGqnError } from "@gqn/core";
import { GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { testBatch, tinyConfig } from "../test/model-fixtures.js";
import { annealed } from "./schedules.js";
import { createTrainer, type GradientSource } from "./trainer.js";
import { TRAINING_PRESETS, type TrainingConfig } from "./training-config.js";

// A fixed sigma (so the NLL's constant part cannot move) and a rate that learns in few steps.
const TRAINING: TrainingConfig = {
  ...TRAINING_PRESETS.tiny,
  batchSize: 4,
  contextSize: 2,
  sigma: { start: 0.5, end: 0.5, steps: 1 },
  learningRate: { start: 3e-3, end: 3e-3, steps: 1 },
};

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function setup(seed = 1, training: TrainingConfig = TRAINING) {
  const model = GqnModel.create(tinyConfig(), { seed });
  const trainer = createTrainer(model, training);
  cleanup.push(() => {
    trainer.dispose();
    model.dispose();
  });
  return { model, trainer };
}

function snapshot(model: GqnModel): Float32Array[] {
  return model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
}

/** How many values differ between two lists of arrays (a plain loop: deep equality on ~10^5 floats is slow). */
function differences(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  expect(a.map((x) => x.length)).toEqual(b.map((x) => x.length));
  let count = 0;
  a.forEach((x, i) => {
    const y = b[i] as ArrayLike<number>;
    for (let j = 0; j < x.length; j++) if (!Object.is(x[j], y[j])) count++;
  });
  return count;
}

describe("createTrainer", () => {
  it("lowers the negative ELBO of a fixed set of batches", async () => {
    const { trainer } = setup(1);
    const batches = [testBatch(4, 2, 16, 10), testBatch(4, 2, 16, 20)];
    cleanup.push(() => {
      for (const b of batches) b.dispose();
    });
    const losses: number[] = [];
    for (let t = 0; t < 30; t++) {
      const m = await trainer.step(batches[t % 2] as (typeof batches)[0], t, { seed: (t % 2) + 1 });
      expect(m.step).toBe(t + 1);
      losses.push(m.elbo);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 4));
    const last = mean(losses.slice(-4));
    // Seen on wasm: 513 (steps 1-4) -> 316 (steps 5-8) -> 268 (steps 27-30) nats, floor 173.
    const floor = nllFloor16(0.5);
    expect(last).toBeLessThan(first - 0.5 * (first - floor));
    const early = mean(losses.slice(4, 8)); // past the first drop (the mean colour), still learning
    expect(last).toBeLessThan(early - 0.1 * (early - floor));
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  it("takes lr and sigma from the schedules at each step index", async () => {
    const training: TrainingConfig = {
      ...TRAINING,
      sigma: { start: 2, end: 0.7, steps: 10 },
      learningRate: { start: 1e-3, end: 1e-4, steps: 20 },
    };
    const { trainer } = setup(2, training);
    const batch = testBatch(2, 2, 16, 30);
    cleanup.push(() => batch.dispose());
    const m = await trainer.step(batch, 5);
    expect(m.sigma).toBeCloseTo(annealed(training.sigma, 5), 12);
    expect(m.lr).toBeCloseTo(annealed(training.learningRate, 5), 12);
    expect(m.bitsPerDim).toBeCloseTo(m.elbo / (16 * 16 * 3 * Math.LN2), 6);
    expect((trainer.optimizer as unknown as { learningRate: number }).learningRate).toBe(m.lr);
    expect(trainer.optimizer.iterations).toBe(1);
  });

  it("stops on a NaN before applying anything, naming the step and the term", async () => {
    const { model, trainer } = setup(3);
    const batch = testBatch(2, 2, 16, 40);
    cleanup.push(() => batch.dispose());
    await trainer.step(batch, 0);
    const weights = snapshot(model);
    const moments = await trainer.getOptimizerState();
    const poisoned = { ...batch, target: tf.fill([2, 16, 16, 3], Number.NaN) as tf.Tensor4D };
    cleanup.push(() => poisoned.target.dispose());
    const before = tf.memory().numTensors;
    const error = await trainer.step(poisoned, 1).catch((e: unknown) => e);
    expect(isGqnError(error, "NON_FINITE")).toBe(true);
    expect((error as Error).message).toMatch(
      /^Trainer\.step: step 2: the NLL term is NaN; no update was applied/,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(differences(snapshot(model), weights)).toBe(0);
    expect(trainer.optimizer.iterations).toBe(1);
    const after = await trainer.getOptimizerState();
    expect(after.map((m) => m.name)).toEqual(moments.map((m) => m.name));
    expect(
      differences(
        after.map((m) => m.tensor.dataSync()),
        moments.map((m) => m.tensor.dataSync()),
      ),
    ).toBe(0);
    tf.dispose([...moments, ...after].map((m) => m.tensor));

    // A zero sigma makes the NLL infinite.
    const zero = createTrainer(model, { ...TRAINING, sigma: { start: 1e-30, end: 1e-30, steps: 1 } });
    cleanup.push(() => zero.dispose());
    const infinite = await zero.step(batch, 6).catch((e: unknown) => e);
    expect((infinite as Error).message).toMatch(/step 7: the NLL term is infinite/);
    expect(differences(snapshot(model), weights)).toBe(0);
  });

  it("takes gradients and terms from a gradient source (data-parallel), checks them, and applies them", async () => {
    const model = GqnModel.create(tinyConfig(), { seed: 4 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const calls: { names: string[]; context: { sigma: number; seed: number; steps: number } }[] = [];
    let poison = false;
    const source: GradientSource = {
      async computeGradients(inputs, context) {
        calls.push({ names: Object.keys(inputs).sort(), context });
        const grads: tf.NamedTensorMap = {};
        variables.forEach((v, i) => {
          grads[v.name] = i === 2 && poison ? tf.fill(v.shape, Number.NaN) : tf.onesLike(v);
        });
        return { loss: 30, metrics: { nll: 20, kl: 10 }, grads };
      },
    };
    const trainer = createTrainer(model, TRAINING, { gradients: source });
    cleanup.push(() => {
      trainer.dispose();
      model.dispose();
    });
    const batch = testBatch(2, 2, 16, 41);
    cleanup.push(() => batch.dispose());
    const before = snapshot(model);
    const metrics = await trainer.step(batch, 0, { seed: 9 });
    expect(calls[0]).toEqual({
      names: ["contextFrames", "contextPoses", "queryPose", "target"],
      context: { sigma: 0.5, seed: 9, steps: tinyConfig().draw.steps },
    });
    expect([metrics.elbo, metrics.nll, metrics.kl]).toEqual([30, 20, 10]);
    // Adam's first step moves every weight by -lr * sign(gradient): all ones here.
    const after = snapshot(model);
    after.forEach((values, i) => {
      const first = before[i] as Float32Array;
      expect((first[0] as number) - (values[0] as number)).toBeCloseTo(3e-3, 6);
    });
    poison = true;
    const tensors = tf.memory().numTensors;
    const error = await trainer.step(batch, 1).catch((e: unknown) => e);
    expect(isGqnError(error, "NON_FINITE")).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`step 2: the gradient of ${model.trainableWeights[2]?.originalName} is not finite`),
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(differences(snapshot(model), after)).toBe(0);

    // A source without the ELBO's terms does not compile; from untyped code it is refused at run
    // time, naming what it reported.
    const silent = createTrainer(model, TRAINING, {
      gradients: {
        // @ts-expect-error: metrics without nll and kl
        async computeGradients() {
          const grads: tf.NamedTensorMap = {};
          for (const v of variables) grads[v.name] = tf.onesLike(v);
          return { loss: 1, metrics: { loss: 1 }, grads };
        },
      },
    });
    cleanup.push(() => silent.dispose());
    const beforeRefusal = tf.memory().numTensors; // the new trainer's Adam holds 2 of its own
    const refused = await silent.step(batch, 0).catch((e: unknown) => e);
    expect(isGqnError(refused, "INVALID_ARGUMENT")).toBe(true);
    expect((refused as Error).message).toMatch(/must report the nll and kl metrics, but reported \[loss\]/);
    expect(tf.memory().numTensors).toBe(beforeRefusal);
    expect(differences(snapshot(model), after)).toBe(0);
  });

  it("restores the Adam state so the next steps are identical", async () => {
    const batches = [testBatch(2, 2, 16, 50), testBatch(2, 2, 16, 60)];
    cleanup.push(() => {
      for (const b of batches) b.dispose();
    });
    const [b0, b1] = batches as [(typeof batches)[0], (typeof batches)[0]];
    const a = setup(4);
    await a.trainer.step(b0, 0);
    await a.trainer.step(b1, 1);
    const state = await a.trainer.getOptimizerState();
    expect(state[0]?.name).toBe("iter");
    expect(state.length).toBe(1 + 2 * a.model.trainableWeights.length + 2);
    expect(state.slice(-2).map((m) => m.name)).toEqual(["adam/beta1_power", "adam/beta2_power"]);
    const weights = snapshot(a.model);

    // A second model with the same weights and the restored moments.
    const b = setup(5);
    b.model.trainableWeights.forEach((w, i) => {
      w.write(tf.tensor(weights[i] as Float32Array, w.shape as number[]));
    });
    const before = tf.memory().numTensors;
    await b.trainer.setOptimizerState(state);
    await b.trainer.setOptimizerState(state);
    expect(tf.memory().numTensors).toBe(before + 2 * b.model.trainableWeights.length);
    tf.dispose(state.map((m) => m.tensor));
    expect(b.trainer.optimizer.iterations).toBe(2);

    const ma = await a.trainer.step(b0, 2, { seed: 9 });
    const mb = await b.trainer.step(b0, 2, { seed: 9 });
    expect(mb.elbo).toBe(ma.elbo);
    const [wa, wb] = [snapshot(a.model), snapshot(b.model)];
    expect(differences(wb, wa)).toBe(0);
    expect(differences(wa, weights)).toBeGreaterThan(0);

    await expect(b.trainer.setOptimizerState([])).rejects.toThrow(/iteration count and 2 x/);
  });

  it("keeps the tensor count flat over steps, with K changing from batch to batch", async () => {
    const { trainer } = setup(6);
    const batches = [testBatch(2, 2, 16, 70), testBatch(2, 3, 16, 80)];
    cleanup.push(() => {
      for (const b of batches) b.dispose();
    });
    await trainer.step(batches[0] as (typeof batches)[0], 0); // creates the Adam moments
    const before = tf.memory().numTensors;
    for (let t = 1; t < 5; t++) {
      const m = await trainer.step(batches[t % 2] as (typeof batches)[0], t);
      expect(Number.isFinite(m.elbo)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("trains with DRAW's L drawn per step from drawSteps, the same L for the same step index", async () => {
    const config = tinyConfig();
    const training: TrainingConfig = { ...TRAINING, drawSteps: { min: 1, max: 3 } };
    const { trainer } = setup(3, training);
    const batch = testBatch(2, 2, 16, 50);
    cleanup.push(() => batch.dispose());
    const seen: number[] = [];
    for (let t = 0; t < 12; t++) {
      const m = await trainer.step(batch, t);
      expect(Number.isFinite(m.elbo)).toBe(true);
      seen.push(m.drawSteps);
    }
    expect(new Set(seen)).toEqual(new Set([1, 2, 3]));
    // A resumed run draws the same L at the same step.
    const again = setup(3, training).trainer;
    expect((await again.step(batch, 7)).drawSteps).toBe(seen[7]);
    // Without drawSteps every pass runs the model's L.
    const fixed = setup(3).trainer;
    expect((await fixed.step(batch, 0)).drawSteps).toBe(config.draw.steps);
  });

  it("refuses drawSteps other than L for untied DRAW weights, and a bad range", () => {
    const untied = GqnModel.create(
      { ...tinyConfig(), draw: { ...tinyConfig().draw, tied: false } },
      { seed: 1 },
    );
    cleanup.push(() => untied.dispose());
    expect(() => createTrainer(untied, { ...TRAINING, drawSteps: { min: 2, max: 4 } })).toThrow(
      /drawSteps \{"min":2,"max":4\} needs tied DRAW weights/,
    );
    expect(() => createTrainer(untied, { ...TRAINING, drawSteps: { min: 3, max: 2 } })).toThrow(
      /drawSteps must be a positive integer or \{ min, max \} with 1 <= min <= max/,
    );
  });

  it("rejects an invalid training config before making any tensor", () => {
    const model = GqnModel.create(tinyConfig(), { seed: 7 });
    cleanup.push(() => model.dispose());
    const before = tf.memory().numTensors;
    expect(() =>
      createTrainer(model, { ...TRAINING, adam: { beta1: 1, beta2: 0.999, epsilon: 1e-8 } }),
    ).toThrow(/adam must have 0 <= beta1, beta2 < 1/);
    expect(() =>
      createTrainer(model, { ...TRAINING, learningRate: { start: 0, end: 1e-4, steps: 10 } }),
    ).toThrow(/learningRate must have positive finite start, end and steps/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

function nllFloor16(sigma: number): number {
  return 16 * 16 * 3 * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
}
