import { deriveSeed } from "@gqn/core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { resolveDrawConfig } from "./config.js";
import { convLstmStep } from "./conv-lstm.js";
import { gaussianFromHead } from "./diagonal-gaussian.js";
import { Draw, type DrawArgs } from "./draw.js";

// Condition [B, 2, 2, 3] -> images [B, 8, 8, 3].
const TINY: DrawArgs = { steps: 3, hiddenChannels: 4, canvasChannels: 4, latentChannels: 2, kernelSize: 3 };

/** Largest absolute difference of two same-shaped tensors must be below `tolerance`. */
function expectClose(a: tf.Tensor, b: tf.Tensor, tolerance: number): void {
  expect(a.shape).toEqual(b.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
  expect(diff).toBeLessThan(tolerance);
}

function inputs(seed = 1, batch = 2): { condition: tf.Tensor4D; target: tf.Tensor4D } {
  return {
    condition: tf.randomNormal([batch, 2, 2, 3], 0, 1, "float32", seed) as tf.Tensor4D,
    target: tf.randomUniform([batch, 8, 8, 3], 0, 1, "float32", seed + 1) as tf.Tensor4D,
  };
}

describe("Draw shapes", () => {
  for (const tied of [true, false]) {
    it(`gives [B, 8, 8, 3] means and [B, L] KLs for L = 1..12 (${tied ? "tied" : "untied"})`, () => {
      const { condition, target } = inputs();
      for (let steps = 1; steps <= 12; steps++) {
        const draw = new Draw({ ...TINY, steps, tied, seed: 3 });
        const result = draw.infer(condition, target, { seed: 1, canvases: true });
        expect(result.mean.shape).toEqual([2, 8, 8, 3]);
        expect(result.klPerStep.shape).toEqual([2, steps]);
        expect(result.canvases).toHaveLength(steps);
        expect(result.canvases?.[0]?.shape).toEqual([2, 8, 8, 4]);
        const generated = draw.generate(condition, { seed: 2 });
        expect(generated.mean.shape).toEqual([2, 8, 8, 3]);
        // One weight set for all steps when tied, one per step otherwise (+ down and observation).
        expect(draw.trainableWeights).toHaveLength(tied ? 13 : 10 * steps + 3);
        for (const kl of result.klPerStep.dataSync()) expect(kl).toBeGreaterThanOrEqual(-1e-4);
        tf.dispose([result.mean, result.klPerStep, ...(result.canvases ?? []), generated.mean]);
        draw.dispose();
      }
      tf.dispose([condition, target]);
    });
  }

  it("generates with another L when tied, and refuses it when untied", () => {
    const { condition, target } = inputs();
    const tied = new Draw({ ...TINY, seed: 1 });
    const long = tied.generate(condition, { steps: 7, seed: 1 });
    expect(long.mean.shape).toEqual([2, 8, 8, 3]);
    const untied = new Draw({ ...TINY, tied: false, seed: 1 });
    expect(() => untied.generate(condition, { steps: 7 })).toThrow(/steps must be 3 with untied weights/);
    expect(() => tied.infer(condition, tf.zeros([2, 4, 4, 3]) as tf.Tensor4D)).toThrow(
      /target must have shape \[2, 8, 8, 3\], but got \[2, 4, 4, 3\]/,
    );
    tf.dispose([condition, target, long.mean]);
    tied.dispose();
    untied.dispose();
  });

  it("infers with any L when tied: the first l steps of a longer pass are the same computation", () => {
    const { condition, target } = inputs();
    const tied = new Draw({ ...TINY, seed: 2 });
    const short = tied.infer(condition, target, { steps: 2, seed: 5, canvases: true });
    const long = tied.infer(condition, target, { steps: 6, seed: 5, canvases: true });
    expect(short.klPerStep.shape).toEqual([2, 2]);
    expect(long.klPerStep.shape).toEqual([2, 6]);
    // Step l draws the same noise whatever L is, so a 2-step pass is the start of a 6-step one.
    const firstTwo = tf.slice(long.klPerStep, [0, 0], [2, 2]);
    expectClose(short.klPerStep, firstTwo, 1e-5);
    expectClose(short.canvases?.[1] as tf.Tensor, long.canvases?.[1] as tf.Tensor, 1e-5);
    const untied = new Draw({ ...TINY, tied: false, seed: 2 });
    expect(() => untied.infer(condition, target, { steps: 2 })).toThrow(
      /steps must be 3 with untied weights/,
    );
    expect(() => tied.infer(condition, target, { steps: 0 })).toThrow(/steps must be a positive integer/);
    tf.dispose([condition, target, short.mean, short.klPerStep, long.mean, long.klPerStep, firstTwo]);
    tf.dispose([...(short.canvases ?? []), ...(long.canvases ?? [])]);
    tied.dispose();
    untied.dispose();
  });

  it("validates its config", () => {
    expect(() => resolveDrawConfig({ steps: 0 })).toThrow(/steps must be a positive integer, but got 0/);
    expect(() => resolveDrawConfig({ kernelSize: 4 })).toThrow(/kernelSize must be odd/);
    expect(() => resolveDrawConfig({ stepz: 3 } as never)).toThrow(/unknown key "stepz"/);
    expect(resolveDrawConfig({ steps: 12 }).hiddenChannels).toBe(256);
  });
});

describe("Draw randomness", () => {
  it("the same seeds give the same weights, samples and KLs; other seeds differ", () => {
    const { condition, target } = inputs();
    const run = (weightSeed: number, sampleSeed: number) => {
      const draw = new Draw({ ...TINY, seed: weightSeed });
      const a = draw.infer(condition, target, { seed: sampleSeed });
      const b = draw.generate(condition, { seed: sampleSeed });
      const values = [
        Array.from(a.mean.dataSync()),
        Array.from(a.klPerStep.dataSync()),
        Array.from(b.mean.dataSync()),
      ];
      tf.dispose([a.mean, a.klPerStep, b.mean]);
      draw.dispose();
      return values;
    };
    expect(run(5, 9)).toEqual(run(5, 9));
    expect(run(0, 0)).toEqual(run(0, 0)); // tfjs reads seed 0 as unseeded: Draw must not pass it on
    expect(run(5, 9)[2]).not.toEqual(run(5, 10)[2]);
    expect(run(5, 9)[0]).not.toEqual(run(6, 9)[0]);
    tf.dispose([condition, target]);
  });
});

describe("Draw gradients", () => {
  it("reach every weight, and leak no tensor over forward + backward", () => {
    const { condition, target } = inputs();
    const draw = new Draw({ ...TINY, tied: false, seed: 2 });
    draw.infer(condition, target).mean.dispose(); // builds the weights (their tensors persist)
    const lossOf = () =>
      tf.tidy(() => {
        const { mean, klPerStep } = draw.infer(condition, target, { seed: 4 });
        return tf.add(tf.sum(tf.square(tf.sub(mean, target))), tf.sum(klPerStep)) as tf.Scalar;
      });
    lossOf().dispose(); // warm-up: kernels may cache what they need
    const before = tf.memory().numTensors;
    const variables = draw.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(lossOf, variables);
    for (const v of variables) {
      const g = grads[v.name];
      // The first step's prior reads h_g = 0: its kernel (not its bias) gets no gradient, rightly.
      if (v.name.includes("prior_0/kernel")) continue;
      expect(g, v.name).toBeDefined();
      const size = tf.tidy(() => tf.sum(tf.abs(g as tf.Tensor)).dataSync()[0]);
      expect(size, v.name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    draw.dispose();
    tf.dispose([condition, target]);
  });

  it("agree with finite differences on a tiny config", () => {
    const { condition, target } = inputs(3, 1);
    const draw = new Draw({ ...TINY, steps: 2, seed: 8 });
    draw.infer(condition, target).mean.dispose();
    const lossOf = () =>
      tf.tidy(() => {
        const { mean, klPerStep } = draw.infer(condition, target, { seed: 4 });
        return tf.add(tf.mul(0.5, tf.sum(tf.square(tf.sub(mean, target)))), tf.sum(klPerStep)) as tf.Scalar;
      });
    const checked = [
      "generator/lstm/kernel",
      "posterior/bias",
      "canvas/kernel",
      "observation/kernel",
      "inference/down/kernel",
    ];
    for (const name of checked) {
      const weight = draw.trainableWeights.find((w) => w.originalName.endsWith(name));
      expect(weight, name).toBeDefined();
      const variable = weight?.read() as tf.Variable;
      const { grads } = tf.variableGrads(lossOf, [variable]);
      const analytic = (grads[variable.name] as tf.Tensor).dataSync();
      const original = variable.dataSync().slice();
      // Finite differences in float32: a step of 1e-2 on the entries with the largest gradients.
      const order = Array.from(analytic.keys()).sort(
        (a, b) => Math.abs(analytic[b] as number) - Math.abs(analytic[a] as number),
      );
      for (const index of order.slice(0, 2)) {
        const eps = 1e-2;
        const at = (delta: number) => {
          const values = original.slice();
          values[index] = (values[index] as number) + delta;
          variable.assign(tf.tensor(values, variable.shape));
          const loss = lossOf();
          const v = loss.dataSync()[0] as number;
          loss.dispose();
          return v;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        variable.assign(tf.tensor(original, variable.shape));
        const g = analytic[index] as number;
        expect(Math.abs(numeric - g), `${name}[${index}]: ${numeric} vs ${g}`).toBeLessThan(
          0.05 * Math.abs(g) + 2e-3,
        );
      }
      tf.dispose(Object.values(grads));
    }
    draw.dispose();
    tf.dispose([condition, target]);
  });
});

describe("Draw serialisation", () => {
  it("save -> tf.loadLayersModel restores the weights by name and the same outputs", async () => {
    const input = tfl.input({ shape: [2, 2, 3] });
    const draw = new Draw({ ...TINY, seed: 11 });
    const output = draw.apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });
    expect(draw.trainableWeights.map((w) => w.originalName)).toContain("draw/generator/lstm/kernel");
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const restored = loaded.layers.find((l) => l instanceof Draw) as Draw;
    expect(restored.drawConfig).toEqual(draw.drawConfig);
    const { condition, target } = inputs();
    const a = draw.infer(condition, target, { seed: 1 });
    const b = restored.infer(condition, target, { seed: 1 });
    expect(Array.from(b.mean.dataSync())).toEqual(Array.from(a.mean.dataSync()));
    expect(Array.from(b.klPerStep.dataSync())).toEqual(Array.from(a.klPerStep.dataSync()));
    tf.dispose([a.mean, a.klPerStep, b.mean, b.klPerStep, condition, target]);
    model.dispose();
    loaded.dispose();
  });
});

describe("Draw against the unsplit ConvLSTM", () => {
  it("generate equals the paper's loop written with convLstmStep over concat(condition, z, h)", () => {
    const draw = new Draw({ ...TINY, seed: 3 });
    const { condition, target } = inputs(7);
    tf.dispose(draw.infer(condition, target, { seed: 1 }).mean); // builds the weights
    // Random biases too (they start at zero), so every term of the gates is exercised.
    draw.setWeights(draw.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.3, "float32", 100 + i)));
    const weight = (name: string) => {
      const found = draw.trainableWeights.find((w) => w.originalName.endsWith(`/${name}`));
      if (!found) throw new Error(`no weight ${name}`);
      return found.read();
    };
    const seed = 5;
    const reference = tf.tidy(() => {
      const [b, g] = condition.shape;
      let state = { h: tf.zeros([b, g, g, 4]) as tf.Tensor4D, c: tf.zeros([b, g, g, 4]) as tf.Tensor4D };
      let canvas = tf.zeros([b, 4 * g, 4 * g, 4]) as tf.Tensor4D;
      for (let l = 0; l < (TINY.steps as number); l++) {
        const prior = gaussianFromHead(
          tf.add(
            tf.conv2d(state.h, weight("prior/kernel") as tf.Tensor4D, 1, "same"),
            weight("prior/bias"),
          ) as tf.Tensor4D,
        );
        const z = prior.sample(deriveSeed(seed, "prior", l)) as tf.Tensor4D;
        state = convLstmStep(
          tf.concat([condition, z], 3) as tf.Tensor4D,
          state,
          weight("generator/lstm/kernel") as tf.Tensor4D,
          weight("generator/lstm/bias") as tf.Tensor1D,
        );
        const delta = tf.conv2dTranspose(
          state.h,
          weight("canvas/kernel") as tf.Tensor4D,
          [b, 4 * g, 4 * g, 4],
          4,
          "valid",
        );
        canvas = tf.add(canvas, tf.add(delta, weight("canvas/bias"))) as tf.Tensor4D;
      }
      return tf.add(
        tf.conv2d(canvas, weight("observation/kernel") as tf.Tensor4D, 1, "valid"),
        weight("observation/bias"),
      );
    });
    const { mean } = draw.generate(condition, { seed });
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(mean, reference))).dataSync()[0] as number);
    const spread = tf.tidy(() => tf.max(tf.abs(reference)).dataSync()[0] as number);
    expect(spread).toBeGreaterThan(0.1);
    expect(difference).toBeLessThan(1e-4 * spread);
    tf.dispose([mean, reference, condition, target]);
    draw.dispose();
  });

  it("infer gives the same means, KLs and gradients with the condition's gates precomputed as with whole kernels", async () => {
    // The same seed gives the same weights; only the pass's arithmetic differs. The plain ops
    // (fused-infer.test.ts compares the fused pass with them, in both ways).
    const precomputed = new Draw({ ...TINY, seed: 4, fusedPass: false });
    const whole = new Draw({ ...TINY, seed: 4, precomputeConditionUpTo: 0, fusedPass: false });
    const { condition, target } = inputs(9);
    const run = (draw: Draw) =>
      tf.tidy(() => {
        const loss = () => {
          const { mean, klPerStep } = draw.infer(condition, target, { seed: 3 });
          return tf.add(tf.sum(tf.square(tf.sub(mean, target))), tf.sum(klPerStep)) as tf.Scalar;
        };
        tf.dispose(loss()); // builds the weights
        const variables = draw.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(loss, variables);
        return [value, ...variables.map((v) => grads[v.name] as tf.Tensor)].map((t) => t.dataSync());
      });
    const split = run(precomputed);
    try {
      // The two passes really differ: only the precomputing one slices the kernels.
      const kernels = async (draw: Draw) => {
        const info = await tf.profile(
          () => draw.infer(condition, target, { seed: 3 }) as unknown as tf.TensorContainer,
        );
        tf.dispose(info.result as tf.TensorContainer);
        return info.kernelNames;
      };
      expect(await kernels(precomputed)).toContain("Slice");
      expect(await kernels(whole)).not.toContain("Slice");
      const unsplit = run(whole);
      expect(unsplit).toHaveLength(split.length);
      unsplit.forEach((values, i) => {
        const other = split[i] as ArrayLike<number>;
        let worst = 0;
        let scale = 1e-6;
        for (let j = 0; j < values.length; j++) {
          scale = Math.max(scale, Math.abs(values[j] as number));
          worst = Math.max(worst, Math.abs((values[j] as number) - (other[j] as number)));
        }
        expect(worst / scale).toBeLessThan(1e-4);
      });
    } finally {
      tf.dispose([condition, target]);
      precomputed.dispose();
      whole.dispose();
    }
  });
});

describe("Draw's training pass", () => {
  it("is chosen once, at build: fused where the backend has the kernels, plain when asked or with a read", () => {
    const { condition, target } = inputs(3);
    const fused = new Draw({ ...TINY, seed: 1 });
    const plain = new Draw({ ...TINY, seed: 1, fusedPass: false });
    const reading = new Draw({ ...TINY, seed: 1, readChannels: 2 });
    expect(fused.trainingPass).toBeUndefined();
    for (const draw of [fused, plain, reading]) draw.build([...condition.shape]);
    // The test setup registers @gqn/backend's kernels, the fused cell among them.
    expect(fused.trainingPass).toBe("fused");
    expect(plain.trainingPass).toBe("plain");
    expect(reading.trainingPass).toBe("plain");
    tf.dispose([condition, target]);
    for (const draw of [fused, plain, reading]) draw.dispose();
  });

  it("says so when the backend changed to one without the fused kernels after the choice", async () => {
    const { condition, target } = inputs(4);
    const draw = new Draw({ ...TINY, seed: 1 });
    draw.build([...condition.shape]);
    const previous = tf.getBackend();
    // A backend with no kernels registered under its name: the check must come before any op runs.
    tf.registerBackend("no-fused-kernels", () => new MathBackendCPU());
    await tf.setBackend("no-fused-kernels");
    try {
      expect(() => draw.infer(condition, target, { seed: 1 })).toThrow(
        `chose its fused training pass on the ${previous} backend when it was built, but the no-fused-kernels backend`,
      );
    } finally {
      await tf.setBackend(previous);
      tf.removeBackend("no-fused-kernels");
      tf.dispose([condition, target]);
      draw.dispose();
    }
  });
});
