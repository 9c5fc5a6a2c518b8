import { writeFileAtomic } from "@gqn/core/node";
import { encodeSceneRecord, type Split } from "@gqn/data";
import {
  encodeJpeg,
  encodeObjectMaskFile,
  type ObjectMaskView,
  objectMaskRecordKey,
  TFRecordWriter,
} from "@gqn/data/node";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderScene, renderSceneWithObjects } from "./render-scene.js";
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
  /** Where the file's object masks go (written before the TFRecord file is complete); none without. */
  readonly masksPath?: string;
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
  const masks: ObjectMaskView[][] = [];
  const keys: number[] = [];
  try {
    for (let i = 0; i < task.sceneCount; i++) {
      if (shouldStop()) throw new SynthStopped();
      const { scene, cameras } = generateScene(
        task.kind,
        sceneSeed(task.seed, task.split, task.firstScene + i),
      );
      const options = { frameSize: task.frameSize, supersample: task.supersample };
      // The same ray caster either way, so the frames are the same bytes with masks or without.
      let rgbFrames: Uint8Array[];
      if (task.masksPath !== undefined) {
        const rendered = renderSceneWithObjects(scene, cameras, options);
        rgbFrames = rendered.frames;
        masks.push(rendered.objects);
      } else {
        rgbFrames = renderScene(scene, cameras, options);
      }
      const frames = rgbFrames.map((rgb) =>
        encodeJpeg(rgb, task.frameSize, task.frameSize, task.jpegQuality),
      );
      const record = encodeSceneRecord({ frames, cameras });
      if (task.masksPath !== undefined) keys.push(objectMaskRecordKey(record));
      await writer.write(record);
      onScene();
      // Let signals (Ctrl-C) and messages through between scenes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (task.masksPath !== undefined) {
      // Before the TFRecord file gets its final name: a complete TFRecord file has its masks.
      const views = masks[0]?.length ?? 0;
      await writeFileAtomic(task.masksPath, encodeObjectMaskFile(masks, task.frameSize, views, keys));
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
