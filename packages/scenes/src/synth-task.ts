import type { Split } from "@gqn/data";
import { encodeSceneRecord } from "@gqn/data";
import { encodeJpeg, TFRecordWriter } from "@gqn/data/node";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderScene } from "./render-scene.js";
import type { SceneKind } from "./scene-kinds.js";

/** One unit of work: render the scenes of one TFRecord file and write it atomically. JSON (crosses to workers). */
export interface SynthFileTask {
  /** Scene kind (dataset name). */
  readonly kind: SceneKind;
  /** Split the file belongs to (part of every scene's seed). */
  readonly split: Split;
  /** Final path of the file; the data are written under a temporary name and renamed on success. */
  readonly path: string;
  /** Index (within the split) of the file's first scene. */
  readonly firstScene: number;
  /** Scenes in the file. */
  readonly sceneCount: number;
  /** Dataset seed (see `sceneSeed`). */
  readonly seed: number;
  /** Frame width and height, pixels. */
  readonly frameSize: number;
  /** Anti-aliasing samples per pixel along each axis. */
  readonly supersample: number;
  /** JPEG quality, 1-100. */
  readonly jpegQuality: number;
}

/**
 * Renders and writes one file. `onScene` runs after each scene; `shouldStop` is polled between scenes
 * (an interrupted file is removed, never left under its final name).
 */
export async function runSynthFileTask(
  task: SynthFileTask,
  onScene: () => void = () => {},
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const writer = await TFRecordWriter.open(task.path, { atomic: true });
  try {
    for (let i = 0; i < task.sceneCount; i++) {
      if (shouldStop()) throw new SynthStopped();
      const { scene, cameras } = generateScene(
        task.kind,
        sceneSeed(task.seed, task.split, task.firstScene + i),
      );
      const frames = renderScene(scene, cameras, {
        frameSize: task.frameSize,
        supersample: task.supersample,
      }).map((rgb) => encodeJpeg(rgb, task.frameSize, task.frameSize, task.jpegQuality));
      await writer.write(encodeSceneRecord({ frames, cameras }));
      onScene();
      // Let signals (Ctrl-C) and messages through between scenes.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
}

/** Thrown inside a task that was asked to stop; never reaches a caller of writeSyntheticDataset. */
export class SynthStopped extends Error {
  constructor() {
    super("stopped");
    this.name = "SynthStopped";
  }
}
