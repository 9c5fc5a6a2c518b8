import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSyntheticDataset } from "@gqn/scenes/node";

/** A small synthetic Shepard-Metzler dataset in a temp dir (a fraction of a second to render). */
export async function syntheticDataset(
  options: { frameSize?: number; trainScenes?: number; testScenes?: number } = {},
): Promise<{ dataDir: string; dataset: string; cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "gqn-train-data-"));
  const dataset = "shepard_metzler_5_parts";
  await writeSyntheticDataset({
    out: dataDir,
    scene: dataset,
    trainScenes: options.trainScenes ?? 8,
    testScenes: options.testScenes ?? 4,
    frameSize: options.frameSize ?? 32,
    scenesPerFile: 4,
    seed: 1,
    workers: 0,
  });
  return { dataDir, dataset, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}
