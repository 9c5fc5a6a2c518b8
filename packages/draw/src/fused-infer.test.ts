import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { Draw, type DrawArgs } from "./draw.js";
import { fusedInfer } from "./fused-infer.js";

// The fused training pass against the plain ops it replaces: values and the gradients of every
// weight and of the condition, on random DRAW configs.

interface Case {
  steps: number;
  tied: boolean;
  /** Precompute the condition's share of the gates: both cores, neither, or the generator's only. */
  precompute: "both" | "none" | "generator";
  hidden: number;
  latent: number;
  canvas: number;
  kernel: number;
  scale: number;
  batch: number;
  grid: number;
  conditionChannels: number;
}

/** A small deterministic generator of configs (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cases(count: number, seed: number): Case[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      steps: 1 + Math.floor(next() * 12),
      tied: next() < 0.6,
      precompute: pick(["both", "none", "generator"] as const),
      hidden: pick([2, 3, 5]),
      latent: pick([1, 2, 3]),
      canvas: pick([2, 4]),
      kernel: pick([1, 3, 5]),
      scale: pick([1, 2, 4]),
      batch: pick([1, 2, 3]),
      grid: pick([2, 3]),
      conditionChannels: pick([1, 4]),
    });
  }
  return out;
}

function drawOf(c: Case, fusedPass: boolean): Draw {
  const args: DrawArgs = {
    steps: c.steps,
    tied: c.tied,
    hiddenChannels: c.hidden,
    latentChannels: c.latent,
    canvasChannels: c.canvas,
    kernelSize: c.kernel,
    scale: c.scale,
    seed: 7,
    fusedPass,
  };
  // The inference kernel is larger than the generator's: a limit between them precomputes the
  // generator's share only.
  const generatorKernel = c.kernel * c.kernel * (c.conditionChannels + c.latent + c.hidden) * 4 * c.hidden;
  args.precomputeConditionUpTo = { both: 1e9, none: 0, generator: generatorKernel }[c.precompute];
  return new Draw(args);
}

/** The pass's mean, KL and the gradients of a random linear loss of both, on the active backend. */
function run(c: Case, fusedPass: boolean): { name: string; values: Float32Array }[] {
  const draw = drawOf(c, fusedPass);
  const condition = tf.randomNormal(
    [c.batch, c.grid, c.grid, c.conditionChannels],
    0,
    1,
    "float32",
    1,
  ) as tf.Tensor4D;
  const size = c.grid * c.scale;
  const target = tf.randomUniform([c.batch, size, size, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const meanWeights = tf.randomNormal([c.batch, size, size, 3], 0, 1, "float32", 3);
  const klWeights = tf.randomUniform([c.batch, c.steps], 0.5, 1.5, "float32", 4);
  const built = draw.infer(condition, target, { seed: 5 }); // builds the weights
  tf.dispose([built.mean, built.klPerStep]);
  // The pass was chosen once, at build: the comparison is between the two passes, not one twice.
  expect(draw.trainingPass).toBe(fusedPass ? "fused" : "plain");
  const variables = draw.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (cond: tf.Tensor) => {
    const out = draw.infer(cond as tf.Tensor4D, target, { seed: 5 });
    return tf.add(
      tf.sum(tf.mul(out.mean, meanWeights)),
      tf.sum(tf.mul(out.klPerStep, klWeights)),
    ) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(() => loss(condition), variables);
  const conditionGrad = tf.grad(loss)(condition);
  const out = [
    { name: "loss", values: value.dataSync() as Float32Array },
    { name: "condition", values: conditionGrad.dataSync() as Float32Array },
    ...draw.trainableWeights.map((w) => ({
      name: w.originalName,
      values: (grads[(w.read() as tf.Variable).name] as tf.Tensor).dataSync() as Float32Array,
    })),
  ];
  tf.dispose([condition, target, meanWeights, klWeights, value, conditionGrad, ...Object.values(grads)]);
  draw.dispose();
  return out;
}

function expectSame(
  got: { name: string; values: Float32Array }[],
  want: { name: string; values: Float32Array }[],
): void {
  expect(got.map((g) => g.name)).toEqual(want.map((w) => w.name));
  got.forEach((g, i) => {
    const w = want[i] as { name: string; values: Float32Array };
    let scale = 1e-3;
    for (const v of w.values) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let j = 0; j < w.values.length; j++)
      worst = Math.max(worst, Math.abs((g.values[j] as number) - (w.values[j] as number)));
    // float32 over up to 12 recurrent steps, summed in another order: relative to the largest value.
    expect(
      worst / scale,
      `${w.name}: worst difference ${worst} against a largest value of ${scale}`,
    ).toBeLessThan(2e-4);
  });
}

describe.each(["wasm", "cpu"])("Draw's fused training pass on %s", (backend) => {
  it.each(cases(10, backend === "wasm" ? 11 : 12))("matches the plain ops: %j", async (c) => {
    const previous = tf.getBackend();
    await tf.setBackend(backend);
    try {
      const before = tf.memory().numTensors;
      const fused = run(c, true);
      expect(tf.memory().numTensors).toBe(before);
      expectSame(fused, run(c, false));
    } finally {
      await tf.setBackend(previous);
    }
  });
});

describe("fusedInfer's stacked filter gradients", () => {
  it("give the same gradients in chunks of one step as in one product over all steps", () => {
    const steps = 5;
    const weights = {
      generatorKernel: tf.randomNormal([3, 3, 2 + 2 + 3, 12], 0, 0.3, "float32", 1) as tf.Tensor4D,
      generatorBias: tf.randomNormal([12], 0, 0.3, "float32", 2) as tf.Tensor1D,
      inferenceKernel: tf.randomNormal([3, 3, 2 + 9, 12], 0, 0.3, "float32", 3) as tf.Tensor4D,
      inferenceBias: tf.randomNormal([12], 0, 0.3, "float32", 4) as tf.Tensor1D,
      priorKernel: tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", 5) as tf.Tensor4D,
      priorBias: tf.randomNormal([4], 0, 0.3, "float32", 6) as tf.Tensor1D,
      posteriorKernel: tf.randomNormal([3, 3, 3, 4], 0, 0.3, "float32", 7) as tf.Tensor4D,
      posteriorBias: tf.randomNormal([4], 0, 0.3, "float32", 8) as tf.Tensor1D,
      canvasKernel: tf.randomNormal([2, 2, 4, 3], 0, 0.3, "float32", 9) as tf.Tensor4D,
      canvasBias: tf.randomNormal([4], 0, 0.3, "float32", 10) as tf.Tensor1D,
    };
    const down = tf.randomNormal([2, 2, 3 + 4, 3], 0, 0.3, "float32", 11) as tf.Tensor4D;
    const condition = tf.randomNormal([2, 3, 3, 2], 0, 1, "float32", 12) as tf.Tensor4D;
    const target = tf.randomUniform([2, 6, 6, 3], 0, 1, "float32", 13) as tf.Tensor4D;
    const inputs = [condition, down, ...Object.values(weights)];
    const gradients = (stackBudget: number) =>
      tf.grads((cond: tf.Tensor, dn: tf.Tensor, ...flat: tf.Tensor[]) => {
        const set = Object.fromEntries(
          Object.keys(weights).map((key, i) => [key, flat[i]]),
        ) as typeof weights;
        const out = fusedInfer(cond as tf.Tensor4D, target, dn as tf.Tensor4D, [set], {
          steps,
          latentChannels: 2,
          scale: 2,
          precompute: { generator: true, inference: false },
          seedAt: (l) => 40 + l,
          stackBudget,
        });
        return tf.add(tf.sum(tf.square(out.canvas)), tf.sum(out.klPerStep));
      })(inputs);
    const stacked = gradients(2 ** 30);
    const alone = gradients(1);
    stacked.forEach((g, i) => {
      const worst = tf.max(tf.abs(tf.sub(g, alone[i] as tf.Tensor))).dataSync()[0] as number;
      const scale = Math.max(1e-3, tf.max(tf.abs(g)).dataSync()[0] as number);
      expect(worst / scale).toBeLessThan(1e-5);
    });
    tf.dispose([...inputs, target, ...stacked, ...alone]);
  });
});
