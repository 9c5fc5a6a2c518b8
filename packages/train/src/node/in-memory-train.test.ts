// Scenes rendered in memory by @gqn/scenes, never written to files: train() reads them from an
// async generator, and the trained GqnModel renders a new view of one of them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InMemoryScene, scenesToTensors } from "@gqn/data";
import { loadCheckpoint } from "@gqn/eval/node";
import { type GqnConfig, GqnModel } from "@gqn/model";
import { generateScene, renderScene } from "@gqn/scenes";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "./run-log.js";
import { train } from "./train.js";

/** Scene `seed` of the Shepard-Metzler kind: 5 views at 32 px, frames and cameras in memory. */
function renderedScene(seed: number): InMemoryScene {
  const { scene, cameras } = generateScene("shepard_metzler_5_parts", seed);
  const five = cameras.subarray(0, 25);
  return { frames: renderScene(scene, five, { frameSize: 32 }), cameras: five };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gqn-in-memory-"));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe("train on scenes in memory", () => {
  it("trains the tiny GQN from an async generator, then renders an in-memory scene from the checkpoint", async () => {
    const modelDir = join(root, "run");
    let made = 0;
    async function* scenes() {
      for (;;) yield renderedScene(made++ % 6);
    }
    const records: LogRecord[] = [];
    const before = tf.memory().numTensors;
    const result = await train({
      scenes: scenes(),
      modelDir,
      preset: "tiny",
      batchSize: 2,
      contextSize: 3,
      steps: 3,
      logEvery: 1,
      evalEvery: 0,
      renderEvery: 0,
      dataWorkers: 0,
      log: () => {},
      onLog: (r) => records.push(r),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.step).toBe(3);
    expect(records.map((r) => [r.split, r.step])).toEqual([
      ["train", 1],
      ["train", 2],
      ["train", 3],
    ]);
    expect(records.every((r) => Number.isFinite(r.elbo))).toBe(true);
    // 3 steps of 2 scenes, the first read once ahead for the data's facts.
    expect(made).toBe(6);

    const loaded = await loadCheckpoint(modelDir);
    expect(loaded.state).toMatchObject({ step: 3, dataset: "in-memory" });
    const model = GqnModel.fromLayersModel(loaded.model, loaded.state.gqnConfig as GqnConfig);
    const scene = renderedScene(100);
    const query = Array.from(scene.cameras as Float32Array).slice(20, 25);
    const batch = await scenesToTensors([scene], { context: [0, 1, 2], query });
    expect(batch.target).toBeUndefined();
    const image = tf.tidy(() =>
      model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, { seed: 1 }),
    );
    expect(image.shape).toEqual([1, 32, 32, 3]);
    expect((await image.data()).every(Number.isFinite)).toBe(true);
    tf.dispose(image);
    batch.dispose();
    model.dispose();
  });

  it("refuses scenes and a data directory together, naming both", async () => {
    await expect(
      train({ scenes: [], dataDir: "data", dataset: "x", modelDir: join(root, "both") } as never),
    ).rejects.toThrow("train: pass either dataDir and dataset (files) or scenes (in memory), not both.");
  });
});
