// Training a GQN where the page runs: scenes rendered in the page by @gqn/scenes (no dataset to
// download), the model of @gqn/model and the trainer of @gqn/train, on whatever tfjs backend is
// active. Nothing here touches the DOM, so the same code runs under Node in the unit test.
import { deriveSeed, Random } from "@gqn/core";
import { type InMemoryScene, scenesToArrays } from "@gqn/data";
import { type GqnBatch, type GqnConfig, GqnModel, resolveGqnConfig } from "@gqn/model";
import { generateScene, renderScene, roomsDepthRange, sceneSeed } from "@gqn/scenes";
import { cpuSchedules, createTrainer, getTrainingPreset, type StepMetrics, type Trainer } from "@gqn/train";
import * as tf from "@tensorflow/tfjs-core";

/** The scene kind the page trains on: the rooms of the shipped model. */
const KIND = "rooms_ring_camera";
/** The rooms renderer's field of view, for the epipolar reader. */
const ROOMS_FOV_DEGREES = 60;

/** What a page's training run is: sizes and seeds. Defaults in {@link BROWSER_TRAINING_DEFAULTS}. */
export interface BrowserTrainingOptions {
  /** Updates to run. */
  readonly steps: number;
  /** Scenes per step. */
  readonly batchSize: number;
  /** Context views per scene (the other views are queries). */
  readonly contextSize: number;
  /** Frame size in pixels, a multiple of 4. */
  readonly frameSize: number;
  /** Seed of the scenes, the model's weights and the views drawn. */
  readonly seed: number;
}

export const BROWSER_TRAINING_DEFAULTS: BrowserTrainingOptions = {
  steps: 2000,
  batchSize: 4,
  contextSize: 5,
  frameSize: 32,
  seed: 1,
};

/**
 * The main job's model (the tiny preset with the epipolar reader) at `frameSize`, with the rooms'
 * optics, so that a checkpoint trained here is the same kind gqn-eval and the viewer read.
 */
export function browserModelConfig(frameSize: number): GqnConfig {
  const [near, far] = roomsDepthRange();
  return resolveGqnConfig("tiny", {
    frameSize,
    reader: { type: "epipolar", fovDegrees: ROOMS_FOV_DEGREES, near, far },
  });
}

/**
 * A batch of freshly rendered rooms: scene `first + i` of the `split` of `seed`, K context views
 * and one query view drawn from its 10 cameras (only those are rendered). Owned by the caller
 * (`tf.dispose(Object.values(batch))`).
 */
export function renderBatch(
  options: Pick<BrowserTrainingOptions, "batchSize" | "contextSize" | "frameSize" | "seed">,
  split: "train" | "test",
  first: number,
): GqnBatch {
  const { batchSize: b, contextSize: k, frameSize: s, seed } = options;
  const scenes: InMemoryScene[] = [];
  for (let i = 0; i < b; i++) {
    const index = first + i;
    const sample = generateScene(KIND, sceneSeed(seed, split, index));
    const count = sample.cameras.length / 5;
    if (k + 1 > count) {
      throw new RangeError(
        `renderBatch: contextSize ${k} leaves no query view of the ${count} views of ${KIND}.`,
      );
    }
    // A seeded draw of the views: the first K are the context, the next the query.
    const order = new Random(deriveSeed(seed, split, "views", index)).shuffle(
      Array.from({ length: count }, (_, v) => v),
    );
    const cameras = order.slice(0, k + 1).map((v) => sample.cameras.subarray(v * 5, v * 5 + 5));
    const frames = renderScene(sample.scene, new Float32Array(cameras.flatMap((c) => Array.from(c))), {
      frameSize: s,
    });
    scenes.push({ frames, cameras });
  }
  const arrays = scenesToArrays(scenes, { context: Array.from({ length: k }, (_, v) => v), query: k });
  return {
    contextFrames: tf.tensor5d(arrays.contextFrames, [b, k, s, s, 3]),
    contextPoses: tf.tensor3d(arrays.contextPoses, [b, k, 7]),
    queryPose: tf.tensor2d(arrays.queryPose, [b, 7]),
    target: tf.tensor4d(arrays.target as Float32Array, [b, s, s, 3]),
  };
}

/** A GQN, its trainer and its data, trained step by step by the page. */
export class BrowserTraining {
  readonly options: BrowserTrainingOptions;
  readonly model: GqnModel;
  private readonly trainer: Trainer;
  private stepsDone = 0;

  constructor(options: Partial<BrowserTrainingOptions> = {}) {
    this.options = { ...BROWSER_TRAINING_DEFAULTS, ...options };
    const { steps, batchSize, contextSize, frameSize, seed } = this.options;
    this.model = GqnModel.create(browserModelConfig(frameSize), { seed });
    this.trainer = createTrainer(this.model, {
      ...getTrainingPreset("tiny"),
      // The CPU recipe, annealed over this run's steps.
      ...cpuSchedules(steps),
      batchSize,
      contextSize,
    });
  }

  /** Updates applied so far. */
  get step(): number {
    return this.stepsDone;
  }

  /** One update on a batch of new training scenes. */
  async trainStep(): Promise<StepMetrics> {
    const batch = renderBatch(this.options, "train", this.stepsDone * this.options.batchSize);
    try {
      const metrics = await this.trainer.step(batch, this.stepsDone);
      this.stepsDone += 1;
      return metrics;
    } finally {
      tf.dispose(Object.values(batch));
    }
  }

  /**
   * One prior sample of test scene 0's query view beside its target and first context view, as
   * `[3, S, S, 3]` in [0, 1] (context, target, render), owned by the caller.
   */
  previewRender(): tf.Tensor4D {
    const batch = renderBatch({ ...this.options, batchSize: 1 }, "test", 0);
    try {
      return tf.tidy(() => {
        const r = this.model.represent(batch.contextFrames, batch.contextPoses);
        const render = this.model.render(r, batch.queryPose, {
          seed: 0,
          context: { frames: batch.contextFrames, poses: batch.contextPoses },
        });
        const [, , s] = batch.target.shape;
        const context = tf.reshape(tf.slice(batch.contextFrames, [0, 0], [1, 1]), [1, s, s, 3]);
        return tf.concat([context, batch.target, tf.clipByValue(render, 0, 1)], 0) as tf.Tensor4D;
      });
    } finally {
      tf.dispose(Object.values(batch));
    }
  }

  /**
   * Saves the model in the LayersModel format (model.json and its weights) through `handler`, or
   * a URL tfjs knows (`downloads://model` in a browser).
   */
  async save(handler: tf.io.IOHandler | string): Promise<void> {
    await this.model.toLayersModel().save(handler);
  }

  /**
   * The model as a checkpoint directory's files, by name: `model.json` and `weights.bin` (the
   * LayersModel format) and `state.json` (the step and the configs). Saved side by side, they are
   * what gqn-eval, gqn-render, `--init-from` and the viewer read, as the shipped model is.
   */
  async exportFiles(): Promise<Record<"model.json" | "weights.bin" | "state.json", Blob>> {
    let files: Record<"model.json" | "weights.bin" | "state.json", Blob> | undefined;
    await this.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const { weightData, weightSpecs, modelTopology, format, generatedBy, convertedBy } = artifacts;
        const manifest = [{ paths: ["weights.bin"], weights: weightSpecs ?? [] }];
        const json = { modelTopology, format, generatedBy, convertedBy, weightsManifest: manifest };
        const parts = weightData === undefined ? [] : Array.isArray(weightData) ? weightData : [weightData];
        const state = {
          step: this.stepsDone,
          gqnConfig: this.model.config,
          trainingConfig: this.trainer.training,
        };
        files = {
          "model.json": new Blob([JSON.stringify(json)], { type: "application/json" }),
          "weights.bin": new Blob(parts, { type: "application/octet-stream" }),
          "state.json": new Blob([`${JSON.stringify(state, null, 2)}\n`], { type: "application/json" }),
        };
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    if (!files) throw new Error("BrowserTraining.exportFiles: the model saved nothing.");
    return files;
  }

  dispose(): void {
    this.trainer.dispose();
    this.model.dispose();
  }
}
