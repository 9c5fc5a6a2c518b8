import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu"; // the reference backend of the gradient check
import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { createEncoder } from "./create-encoder.js";
import { PoolEncoder, TF_GQN_TOWER_WEIGHT_NAMES, TowerEncoder } from "./tower-encoder.js";

function encodeShape(encoder: { frameSize: number; encode: TowerEncoder["encode"] }, n = 2): number[] {
  const s = encoder.frameSize;
  const frames = tf.randomUniform([n, s, s, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const poses = tf.randomNormal([n, 7], 0, 1, "float32", 2) as tf.Tensor2D;
  const r = encoder.encode(frames, poses);
  const shape = r.shape;
  tf.dispose([frames, poses, r]);
  return shape;
}

function disposeWeights(layer: TowerEncoder): void {
  for (const w of layer.weights) w.dispose();
}

/** Weight name (without the layer prefix) -> shape, in creation order. */
function weightShapes(layer: TowerEncoder): Record<string, number[]> {
  return Object.fromEntries(
    layer.trainableWeights.map((w) => [w.originalName.slice(layer.name.length + 1), w.shape as number[]]),
  );
}

describe("TowerEncoder", () => {
  it.each([
    [32, 8],
    [64, 16],
    [84, 21],
    [128, 32],
  ])("maps %i px frames to the core grid of %i cells a side (tower, tower-tfgqn, pool)", (size, grid) => {
    for (const type of ["tower", "tower-tfgqn"] as const) {
      const encoder = createEncoder({ type, frameSize: size, channels: 8, seed: 1 });
      expect(encoder.outputShape).toEqual([grid, grid, 8]);
      expect(encodeShape(encoder)).toEqual([2, grid, grid, 8]);
    }
    const pool = createEncoder({ type: "pool", frameSize: size, channels: 8, seed: 1 });
    expect(pool.outputShape).toEqual([1, 1, 8]);
    expect(encodeShape(pool)).toEqual([2, 1, 1, 8]);
  });

  it("has the paper's weights (figure S1) at 64 px with c = 256, d = 128", () => {
    const tower = new TowerEncoder({ frameSize: 64, name: "paper_tower" });
    tower.build([
      [null, 64, 64, 3],
      [null, 7],
    ]);
    expect(weightShapes(tower)).toEqual({
      "conv1/kernel": [2, 2, 3, 256],
      "conv1/bias": [256],
      "skip1/kernel": [2, 2, 256, 256],
      "skip1/bias": [256],
      "conv2/kernel": [3, 3, 256, 128],
      "conv2/bias": [128],
      "conv3/kernel": [2, 2, 128, 256],
      "conv3/bias": [256],
      "skip2/kernel": [3, 3, 263, 256],
      "skip2/bias": [256],
      "conv4/kernel": [3, 3, 263, 128],
      "conv4/bias": [128],
      "conv5/kernel": [3, 3, 128, 256],
      "conv5/bias": [256],
      "conv6/kernel": [1, 1, 256, 256],
      "conv6/bias": [256],
    });
    expect(tower.countParams()).toBe(1_962_368);
    disposeWeights(tower);
  });

  it("has tf-gqn's weights in the variant, with a name map to its checkpoint", () => {
    const tower = new TowerEncoder({ frameSize: 64, variant: "tf-gqn", name: "tfgqn_tower" });
    tower.build([
      [null, 64, 64, 3],
      [null, 7],
    ]);
    const shapes = weightShapes(tower);
    expect(Object.fromEntries(Object.entries(shapes).filter(([k]) => k.endsWith("kernel")))).toEqual({
      "conv1/kernel": [2, 2, 3, 256],
      "skip1/kernel": [1, 1, 256, 128],
      "conv2/kernel": [3, 3, 256, 128],
      "conv3/kernel": [2, 2, 128, 256],
      "skip2/kernel": [1, 1, 263, 128],
      "conv4/kernel": [3, 3, 263, 128],
      "conv5/kernel": [3, 3, 128, 256],
      "conv6/kernel": [1, 1, 256, 256],
    });
    expect(Object.keys(TF_GQN_TOWER_WEIGHT_NAMES).map((k) => `${k}/kernel`)).toEqual(
      Object.keys(shapes).filter((k) => k.endsWith("kernel")),
    );
    disposeWeights(tower);
  });

  it("takes channel counts from its config", () => {
    const tower = new TowerEncoder({ frameSize: 32, channels: 12, hiddenChannels: 5, name: "narrow" });
    tower.build([
      [null, 32, 32, 3],
      [null, 7],
    ]);
    expect(weightShapes(tower)["conv4/kernel"]).toEqual([3, 3, 19, 5]);
    expect(tower.outputShape).toEqual([8, 8, 12]);
    disposeWeights(tower);
  });

  it("gives the same weights for the same seed", () => {
    const a = new TowerEncoder({ frameSize: 32, channels: 8, seed: 3 });
    const b = new TowerEncoder({ frameSize: 32, channels: 8, seed: 3 });
    for (const t of [a, b])
      t.build([
        [null, 32, 32, 3],
        [null, 7],
      ]);
    const wa = a.getWeights();
    const wb = b.getWeights();
    for (const [i, w] of wa.entries()) expect(w.dataSync()).toEqual((wb[i] as tf.Tensor).dataSync());
    disposeWeights(a);
    disposeWeights(b);
  });

  it("pool is the mean of the tower over the grid", () => {
    const tower = new TowerEncoder({ frameSize: 32, channels: 8, seed: 9 });
    const pool = new PoolEncoder({ frameSize: 32, channels: 8, seed: 9 });
    const frames = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const poses = tf.randomNormal([2, 7], 0, 1, "float32", 5) as tf.Tensor2D;
    const t = tower.encode(frames, poses);
    const p = pool.encode(frames, poses);
    const expected = tf.mean(t, [1, 2], true);
    expect(tf.max(tf.abs(tf.sub(p, expected))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([frames, poses, t, p, expected]);
  });

  it.each([30, 66, 0, 2.5])("rejects frameSize %s with an INVALID_CONFIG error", (size) => {
    let error: unknown;
    try {
      createEncoder({ type: "tower", frameSize: size });
    } catch (e) {
      error = e;
    }
    expect(isGqnError(error, "INVALID_CONFIG")).toBe(true);
    expect((error as Error).message).toMatch(/^TowerEncoder: frameSize must be/);
  });

  it("names the expected and actual shapes when frames have another size", () => {
    const tower = createEncoder({ type: "tower", frameSize: 64, channels: 8 });
    const frames = tf.zeros([8, 84, 84, 3]) as tf.Tensor4D;
    const poses = tf.zeros([8, 7]) as tf.Tensor2D;
    expect(() => tower.encode(frames, poses)).toThrow(
      "TowerEncoder.encode: frames must have shape [?, 64, 64, 3], but got [8, 84, 84, 3].",
    );
    tf.dispose([frames, poses]);
  });

  it("checks symbolic inputs in a functional model too", () => {
    const tower = createEncoder({ type: "tower", frameSize: 32, channels: 8 });
    const frames = tfl.input({ shape: [64, 64, 3] });
    const poses = tfl.input({ shape: [7] });
    expect(() => tower.apply([frames, poses])).toThrow(
      "TowerEncoder.build: frames must have shape [?, 32, 32, 3], but got [?, 64, 64, 3].",
    );
    expect(() => tower.apply(frames)).toThrow(/takes two inputs \[frames, poses\]/);
  });

  // Finite differences are unreliable through ReLU kinks in float32, so the backward pass is
  // checked against tfjs-backend-cpu's long-standing kernels instead (wasm's conv backprop comes
  // from @gqn/backend). On the cpu backend itself there is nothing to compare: skipped, as it is
  // where the backend has no conv backprop kernel at all.
  const noBackward = !tf.getKernel("Conv2DBackpropFilter", tf.getBackend());
  it.skipIf(tf.getBackend() === "cpu" || noBackward).each(["tower", "tower-tfgqn", "pyramid"] as const)(
    "computes the same gradients as the cpu backend (%s)",
    async (type) => {
      const encoder = createEncoder({ type, frameSize: 16, channels: 8, seed: 11 });
      const backend = tf.getBackend();
      const frames = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 6) as tf.Tensor4D;
      const poses = tf.randomNormal([2, 7], 0, 1, "float32", 7) as tf.Tensor2D;
      const projection = tf.randomNormal([2, ...encoder.outputShape], 0, 1, "float32", 8);
      const loss = () => tf.sum(tf.mul(encoder.encode(frames, poses), projection)) as tf.Scalar;
      tf.dispose(loss()); // builds the weights
      const gradients = () => {
        const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(loss, variables);
        const arrays = variables.map((v) => Array.from((grads[v.name] as tf.Tensor).dataSync()));
        tf.dispose([value, ...Object.values(grads)]);
        return arrays;
      };
      const actual = gradients();
      await tf.setBackend("cpu");
      let expected: number[][];
      try {
        expected = gradients();
      } finally {
        await tf.setBackend(backend);
      }
      for (const [i, grad] of actual.entries()) {
        const reference = expected[i] as number[];
        const scale = Math.max(...reference.map(Math.abs), 1e-3);
        const worst = Math.max(...grad.map((g, j) => Math.abs(g - (reference[j] ?? 0))));
        expect(worst / scale, encoder.trainableWeights[i]?.name).toBeLessThan(1e-4);
      }
      tf.dispose([frames, poses, projection]);
      for (const w of encoder.weights) w.dispose();
    },
  );
});
