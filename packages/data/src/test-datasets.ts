// Test helper (not exported): small datasets written with this package's own writer, whose frames and
// cameras say which scene and view they are, so tests can check every frame against its pose.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shardFileName } from "./datasets.js";
import { encodeJpeg } from "./jpeg.js";
import { encodeSceneRecord } from "./scene-record.js";
import { TFRecordWriter } from "./tfrecord-writer.js";

export interface TestDatasetOptions {
  dataDir: string;
  name: string;
  frameSize?: number;
  views?: number;
  /** Scenes per file, per split. */
  train?: number[];
  test?: number[];
}

/** The uniform colour of frame `view` of scene `scene`: red encodes the view, green the scene. */
export function frameColour(scene: number, view: number): [number, number, number] {
  return [20 + 30 * view, 10 + ((scene * 37) % 230), 128];
}

/** The camera of a view: x = scene, y = view, z = 0.5, yaw = 0.3 view, pitch = -0.2 view. */
export function testCamera(scene: number, view: number): number[] {
  return [scene, view, 0.5, 0.3 * view, -0.2 * view];
}

export function testScene(scene: number, views: number, frameSize: number) {
  const frames: Uint8Array[] = [];
  const cameras = new Float32Array(views * 5);
  for (let v = 0; v < views; v++) {
    const [r, g, b] = frameColour(scene, v);
    const rgb = new Uint8Array(frameSize * frameSize * 3);
    for (let i = 0; i < rgb.length; i += 3) {
      rgb[i] = r;
      rgb[i + 1] = g;
      rgb[i + 2] = b;
    }
    frames.push(encodeJpeg(rgb, frameSize, frameSize, 95));
    cameras.set(testCamera(scene, v), v * 5);
  }
  return { frames, cameras };
}

/**
 * Writes `<dataDir>/<name>/{train,test}/<i>-of-<n>.tfrecord` and a `dataset.json`; scenes are numbered
 * across files, train first. Returns the paths written per split.
 */
export async function writeTestDataset(
  options: TestDatasetOptions,
): Promise<{ train: string[]; test: string[] }> {
  const { dataDir, name, frameSize = 8, views = 4, train = [3, 3], test = [2] } = options;
  mkdirSync(join(dataDir, name), { recursive: true });
  writeFileSync(
    join(dataDir, name, "dataset.json"),
    JSON.stringify({
      name,
      frameSize,
      views,
      trainFiles: train.length,
      testFiles: test.length,
      synthetic: true,
    }),
  );
  let scene = 0;
  const written = { train: [] as string[], test: [] as string[] };
  for (const split of ["train", "test"] as const) {
    const counts = split === "train" ? train : test;
    for (let f = 0; f < counts.length; f++) {
      const path = join(dataDir, name, split, shardFileName(f + 1, counts.length));
      const writer = await TFRecordWriter.open(path);
      for (let i = 0; i < (counts[f] as number); i++) {
        await writer.write(encodeSceneRecord(testScene(scene++, views, frameSize)));
      }
      await writer.close();
      written[split].push(path);
    }
  }
  return written;
}
