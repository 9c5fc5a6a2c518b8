import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkInteger, GqnError } from "@gqn/core";
import { createSceneBatches, encodeGif, encodePng, type SceneBatchIterator } from "@gqn/data/node";
import { imageGrid, renderOrbit, scaleImage, type UpAxis } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { dataNotes } from "./data-notes.js";
import { type ModelOnDataOptions, openModelOnData } from "./model-on-data.js";

/** Options of {@link renderCheckpoint}. */
export interface RenderCheckpointOptions extends ModelOnDataOptions {
  /** Where the PNGs and the GIF go. */
  out: string;
  /** Test scenes rendered beside their targets; default 4. */
  scenes?: number;
  /** Frames of a camera orbit around the first scene (PNGs + an animated GIF); default 0 (none). */
  orbit?: number;
  /** Seeds the scene choice and the prior's latents; default 0. */
  seed?: number;
  /** Prior samples averaged per rendering (the predictive mean); default 1 (one sample). */
  samples?: number;
  /** Enlarge the PNGs and the GIF this many times (nearest neighbour); default 1. */
  zoom?: number;
  /** The vertical axis for the orbit; default "y" (@gqn/scenes' convention). */
  up?: UpAxis;
  /** JPEG decoding threads of the data loader; default @gqn/data's. */
  dataWorkers?: number;
}

/** What {@link renderCheckpoint} wrote. */
export interface RenderResult {
  /** The checkpoint rendered, and its step. */
  checkpoint: string;
  step: number;
  /** `scene-000.png`...: one row each, context views | target | prediction. */
  scenes: string[];
  /** `scenes.png`: the first batch's scenes (up to 8) in one picture, a row each. */
  grid?: string;
  /** `orbit/frame-000.png`... */
  orbitFrames: string[];
  /** `orbit.gif`, when an orbit was asked for. */
  gif?: string;
}

/**
 * Renders the query views of test scenes with a checkpoint's model (the prior: no target seen),
 * beside their targets, and optionally an orbit of the camera around the first scene.
 */
export async function renderCheckpoint(options: RenderCheckpointOptions): Promise<RenderResult> {
  const scenes = options.scenes ?? 4;
  const orbit = options.orbit ?? 0;
  const seed = options.seed ?? 0;
  const samples = options.samples ?? 1;
  const zoom = options.zoom ?? 1;
  checkInteger(samples, "renderCheckpoint", "samples");
  checkInteger(zoom, "renderCheckpoint", "zoom");
  checkInteger(scenes, "renderCheckpoint", "scenes", { min: 0 });
  checkInteger(orbit, "renderCheckpoint", "orbit", { min: 0 });
  const { trained, info, contextSize, log } = await openModelOnData(
    options,
    "renderCheckpoint",
    "rendering",
    3,
  );
  const { model } = trained;
  const result: RenderResult = {
    checkpoint: trained.path,
    step: trained.step ?? 0,
    scenes: [],
    orbitFrames: [],
  };
  const wanted = Math.max(scenes, orbit > 0 ? 1 : 0);
  if (info.testFiles === 0) {
    log(
      `[gqn] ${options.dataset} has no test split: rendering scenes of its train split, which the model may have seen.`,
    );
  }
  // Everything opened from here on is closed, and the model freed, however it ends.
  let batches: SceneBatchIterator | undefined;
  try {
    batches = createSceneBatches({
      dataDir: options.dataDir,
      dataset: options.dataset,
      split: info.testFiles > 0 ? "test" : "train",
      batchSize: Math.max(1, Math.min(wanted, 8)),
      contextSize,
      frameSize: model.config.frameSize,
      seed,
      repeat: false,
      ...(options.dataWorkers !== undefined && { workers: options.dataWorkers }),
      warn: dataNotes(log),
    });
    await mkdir(options.out, { recursive: true });
    let done = 0;
    for await (const batch of batches) {
      try {
        if (done === 0 && orbit > 0) {
          const frames = tf.slice(batch.contextFrames, [0, 0, 0, 0, 0], [1, -1, -1, -1, -1]) as tf.Tensor5D;
          const poses = tf.slice(batch.contextPoses, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D;
          try {
            // A long orbit (many frames, many samples each) says how far it got every 10 s.
            const started = Date.now();
            let lastLine = started;
            const rendered = await renderOrbit(model, frames, poses, {
              frames: orbit,
              seed,
              samples,
              ...(options.up && { up: options.up }),
              onFrame: (done) => {
                const now = Date.now();
                if (done === orbit || now - lastLine < 10_000) return;
                lastLine = now;
                log(`[gqn] orbit: ${done}/${orbit} frames (${Math.round((now - started) / 1000)} s)`);
              },
            });
            const images = rendered.map((image) => scaleImage(image, zoom));
            const dir = join(options.out, "orbit");
            await mkdir(dir, { recursive: true });
            for (const [i, image] of images.entries()) {
              const path = join(dir, `frame-${String(i).padStart(3, "0")}.png`);
              await writeFile(path, encodePng(image.data, image.width, image.height));
              result.orbitFrames.push(path);
            }
            result.gif = join(options.out, "orbit.gif");
            await writeFile(result.gif, encodeGif(images));
          } finally {
            tf.dispose([frames, poses]);
          }
        }
        const n = Math.min(batch.target.shape[0], scenes - done);
        if (n > 0) {
          const prediction = tf.tidy(() =>
            model.render(model.represent(batch.contextFrames, batch.contextPoses), batch.queryPose, {
              seed,
              samples,
              context: { frames: batch.contextFrames, poses: batch.contextPoses },
            }),
          );
          try {
            await requireFinite(prediction, trained.path);
            for (let i = 0; i < n; i++) {
              const grid = tf.tidy(() => {
                const one = <T extends tf.Tensor>(t: T) => tf.slice(t, i, 1) as T;
                return [one(batch.contextFrames), one(batch.target), one(prediction)] as const;
              });
              try {
                const image = scaleImage(await imageGrid(grid[0], [grid[1], grid[2]]), zoom);
                const path = join(options.out, `scene-${String(done + i).padStart(3, "0")}.png`);
                await writeFile(path, encodePng(image.data, image.width, image.height));
                result.scenes.push(path);
              } finally {
                tf.dispose([...grid]);
              }
            }
            if (done === 0) {
              // The first batch's scenes in one picture, a row each, for docs and a quick look.
              const rows = tf.tidy(() => {
                const head = <T extends tf.Tensor>(t: T) => tf.slice(t, 0, n) as T;
                return [head(batch.contextFrames), head(batch.target), head(prediction)] as const;
              });
              try {
                const image = scaleImage(await imageGrid(rows[0], [rows[1], rows[2]]), zoom);
                result.grid = join(options.out, "scenes.png");
                await writeFile(result.grid, encodePng(image.data, image.width, image.height));
              } finally {
                tf.dispose([...rows]);
              }
            }
          } finally {
            prediction.dispose();
          }
        }
        done += batch.target.shape[0];
      } finally {
        batch.dispose();
      }
      if (done >= wanted) break;
    }
  } finally {
    await batches?.close();
    model.dispose();
  }
  return result;
}

/**
 * A rendering with NaN or infinite pixels is refused: it would be written as a black panel. Async
 * (the check is read back): a GPU backend such as WebGPU has no synchronous read in Node.
 */
async function requireFinite(prediction: tf.Tensor, checkpoint: string): Promise<void> {
  const finite = tf.tidy(() => tf.all(tf.isFinite(prediction)));
  let ok: boolean;
  try {
    ok = (await finite.data())[0] === 1;
  } finally {
    finite.dispose();
  }
  if (!ok) {
    throw new GqnError(
      "NON_FINITE",
      `renderCheckpoint: ${checkpoint} renders non-finite pixels: the model's outputs are not finite numbers.`,
    );
  }
}
