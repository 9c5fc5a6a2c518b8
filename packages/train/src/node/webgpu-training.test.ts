// The GQN trains on WebGPU (on this machine's adapter: Mesa's software Vulkan in CI): one step's
// loss and the gradient of every weight match the cpu backend, for the plain GQN, the wider
// `small` preset and both forms of the epipolar reader; the tensor count and the GPU's memory
// stay flat; and checkpoints cross between WebGPU and wasm.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "@gqn/backend";
import { FUSED_KERNELS } from "@gqn/core";
import { type GqnBatch, type GqnConfig, GqnModel, resolveGqnConfig } from "@gqn/model";
import "@tensorflow/tfjs-backend-cpu";
import { loadCheckpoint } from "@gqn/eval/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { webgpuGate } from "../../../../test/webgpu-gate.js";
import { createTrainer } from "../trainer.js";
import { getTrainingPreset } from "../training-config.js";
import { train } from "./train.js";

const gate = await webgpuGate("WebGPU training tests");

const READER = { type: "epipolar", fovDegrees: 60, near: 0.1, far: 8 } as const;
const CONFIGS: [string, GqnConfig][] = [
  ["tiny", resolveGqnConfig("tiny", { frameSize: 16 })],
  // small's widths with 4 DRAW steps at 16 px: the cpu backend's reference takes 50 s with its 8.
  ["small", resolveGqnConfig("small", { frameSize: 16, draw: { steps: 4 } })],
  ["tiny with the epipolar reader", resolveGqnConfig("tiny", { frameSize: 16, reader: READER })],
  [
    "tiny with the reader's per-step attention",
    resolveGqnConfig("tiny", { frameSize: 16, reader: { ...READER, valueChannels: 16 } }),
  ],
];

/** A batch of 2 scenes, K 3, with cameras on a ring looking inwards (as the rooms' are). */
function batchOf(size: number): GqnBatch {
  return tf.tidy(() => {
    const b = 2;
    const k = 3;
    const pose = (i: number) => {
      const yaw = (2 * Math.PI * i) / 7;
      return [
        3 * Math.cos(yaw),
        0.4,
        3 * Math.sin(yaw),
        Math.cos(yaw + Math.PI),
        Math.sin(yaw + Math.PI),
        Math.cos(-0.1),
        Math.sin(-0.1),
      ];
    };
    return {
      contextFrames: tf.randomUniform([b, k, size, size, 3], 0, 1, "float32", 1) as tf.Tensor5D,
      contextPoses: tf.tensor3d([0, 1, 2, 3, 4, 5].flatMap(pose), [b, k, 7]),
      queryPose: tf.tensor2d([...pose(6), ...pose(2.5)], [b, 7]),
      target: tf.randomUniform([b, size, size, 3], 0, 1, "float32", 2) as tf.Tensor4D,
    };
  });
}

interface StepValues {
  loss: number;
  grads: Map<string, Float32Array>;
  weights: Float32Array[];
}

/** The loss and every weight's gradient of one pass on `backend`, from the same seeded weights. */
async function lossAndGradients(backend: string, config: GqnConfig): Promise<StepValues> {
  await tf.setBackend(backend);
  const model = GqnModel.create(config, { seed: 3 });
  const batch = batchOf(config.frameSize);
  try {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, 1.2, { seed: 4 }).loss, variables);
    const out: StepValues = { loss: (await value.data())[0] as number, grads: new Map(), weights: [] };
    // By the weights' own names: tfjs suffixes variable names per model built.
    for (const [i, w] of model.trainableWeights.entries()) {
      out.grads.set(
        w.originalName,
        (await (grads[(variables[i] as tf.Variable).name] as tf.Tensor).data()) as Float32Array,
      );
    }
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    tf.dispose(Object.values(batch));
    model.dispose();
  }
}

function worstRelative(actual: Float32Array, expected: Float32Array): number {
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  return worst / scale;
}

describe.skipIf(gate.skip !== undefined)("training on WebGPU", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "gqn-webgpu-"));
    await initBackend({ backend: "webgpu", log: () => {} });
  });
  afterAll(async () => {
    await tf.setBackend("wasm");
    await rm(root, { recursive: true, force: true });
  });

  it.each(CONFIGS)(
    "%s: one step's loss and the gradient of every weight match the cpu backend",
    async (_name, config) => {
      const gpu = await lossAndGradients("webgpu", config);
      // WebGPU has none of @gqn/backend's fused kernels: DRAW and the reader ran their plain ops.
      expect(tf.getKernel(FUSED_KERNELS.lstmCell, "webgpu")).toBeUndefined();
      const cpu = await lossAndGradients("cpu", config);
      // The same seeded weights on both backends.
      for (const [i, w] of gpu.weights.entries())
        expect(worstRelative(w, cpu.weights[i] as Float32Array)).toBe(0);
      expect(Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-4);
      expect([...gpu.grads.keys()].sort()).toEqual([...cpu.grads.keys()].sort());
      for (const [name, grad] of cpu.grads) {
        const worst = worstRelative(gpu.grads.get(name) as Float32Array, grad);
        // Measured on lavapipe: at most 1.0e-6 of the largest (tiny, small and both readers).
        expect(worst, `${name}: worst difference over its largest gradient`).toBeLessThan(1e-4);
      }
    },
    180_000,
  );

  it("keeps the tensor count and the GPU's memory flat over 50 steps, reading nothing back synchronously", async () => {
    await tf.setBackend("webgpu");
    const config = resolveGqnConfig("tiny", { frameSize: 16, reader: READER });
    const model = GqnModel.create(config, { seed: 5 });
    const trainer = createTrainer(model, getTrainingPreset("tiny"));
    const batch = batchOf(16);
    const memory = () =>
      tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number; numBytesInGPU?: number };
    // A synchronous read is how tfjs's WebGPU backend runs an op it has no shader for (a tile of
    // rank 5, say) on the CPU: in a browser it succeeds unseen, so it is counted here.
    const backend = tf.backend() as unknown as { readSync(dataId: object): unknown };
    const readSync = backend.readSync;
    let syncReads = 0;
    backend.readSync = (dataId: object) => {
      syncReads += 1;
      return readSync.call(backend, dataId);
    };
    try {
      await trainer.step(batch, 0);
      await trainer.step(batch, 1); // Adam's moments exist from here on
      const tensors = tf.memory().numTensors;
      const bytes = memory().numBytesInGPU;
      for (let i = 2; i < 50; i++) await trainer.step(batch, i);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(memory().numBytesInGPU).toBe(bytes);
      expect(syncReads).toBe(0);
    } finally {
      backend.readSync = readSync;
      trainer.dispose();
      model.dispose();
      tf.dispose(Object.values(batch));
    }
  }, 300_000);

  it("resumes a checkpoint written on WebGPU on wasm, and the reverse", async () => {
    const data = await syntheticDataset({ trainScenes: 8, testScenes: 2, frameSize: 16 });
    const common = {
      dataDir: data.dataDir,
      dataset: data.dataset,
      preset: "tiny" as const,
      model: { frameSize: 16 },
      batchSize: 2,
      contextSize: 3,
      dataWorkers: 0,
      renderEvery: 0,
      evalEvery: 0,
      log: () => {},
    };
    try {
      for (const [first, second] of [
        ["webgpu", "wasm"],
        ["wasm", "webgpu"],
      ] as const) {
        const modelDir = join(root, `${first}-then-${second}`);
        await train({ ...common, modelDir, steps: 2, backend: first });
        const written = await loadCheckpoint(modelDir);
        const before = await Promise.all(written.model.getWeights().map((w) => w.data()));
        written.model.dispose();
        const result = await train({ ...common, modelDir, steps: 3, resume: true, backend: second });
        expect(tf.getBackend()).toBe(second);
        expect(result.step).toBe(3);
        const resumed = await loadCheckpoint(modelDir);
        expect(resumed.step).toBe(3);
        const after = await Promise.all(resumed.model.getWeights().map((w) => w.data()));
        resumed.model.dispose();
        // One more step moved the weights from where the other backend left them.
        expect(after.some((w, i) => worstRelative(w as Float32Array, before[i] as Float32Array) > 0)).toBe(
          true,
        );
      }
    } finally {
      await data.cleanup();
    }
  }, 300_000);
});
