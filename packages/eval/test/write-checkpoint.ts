// A run's checkpoint as @gqn/train saves it, without training (this package cannot depend on the
// trainer): a new GQN's weights, and the run state that scoring and rendering read.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type GqnConfigOverrides, GqnModel, getPreset, resolveGqnConfig } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import { CHECKPOINT_FILES as F } from "../src/node/load-checkpoint.js";

/** What {@link writeCheckpoint} saves besides the weights. */
export interface TestCheckpoint {
  step: number;
  /** Over the tiny preset (32 px); default none. */
  model?: GqnConfigOverrides;
  /** The training config's K; default 3. */
  contextSize?: number;
  dataset?: string;
  seed?: number;
}

/** Writes `<modelDir>/checkpoints/ckpt-<step>` and the `latest` pointer; returns the checkpoint dir. */
export async function writeCheckpoint(modelDir: string, checkpoint: TestCheckpoint): Promise<string> {
  const { step } = checkpoint;
  const dir = join(modelDir, F.folder, `${F.prefix}${step}`);
  const model = GqnModel.create(resolveGqnConfig(getPreset("tiny").model, checkpoint.model ?? {}), {
    seed: checkpoint.seed ?? 1,
  });
  try {
    await mkdir(dir, { recursive: true });
    await model.toLayersModel().save(layersModelFiles(dir));
    const trainingConfig = {
      batchSize: 2,
      contextSize: checkpoint.contextSize ?? 3,
      sigma: { start: 2, end: 0.7, steps: 4000 },
      learningRate: { start: 1e-3, end: 1e-4, steps: 4000 },
      adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    };
    const state = { step, gqnConfig: model.config, trainingConfig, dataset: checkpoint.dataset };
    await writeFile(join(dir, F.state), JSON.stringify(state, null, 2));
    await writeFile(join(modelDir, F.folder, F.latest), `${F.prefix}${step}\n`);
    return dir;
  } finally {
    model.dispose();
  }
}
