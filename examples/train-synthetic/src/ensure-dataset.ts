import type { SceneKind } from "@gqn/scenes";
import { type SyntheticDatasetInfo, writeSyntheticDataset } from "@gqn/scenes/node";

/** What {@link ensureDataset} renders when the dataset is not there yet. */
export interface EnsureDatasetOptions {
  dataDir: string;
  scene: SceneKind;
  trainScenes: number;
  testScenes: number;
  frameSize: number;
  seed: number;
  /** Replace a dataset rendered there with other settings (else refused, naming them). */
  overwrite?: boolean;
  /** Progress lines go here. */
  log: (line: string) => void;
}

/**
 * Renders the synthetic dataset unless a complete one with the same settings is already in
 * `dataDir` (writeSyntheticDataset returns at once then, and finishes a partial one). One of
 * other settings is refused unless `overwrite`.
 */
export async function ensureDataset(options: EnsureDatasetOptions): Promise<SyntheticDatasetInfo> {
  const started = performance.now();
  let lastReport = 0;
  const info = await writeSyntheticDataset({
    out: options.dataDir,
    scene: options.scene,
    trainScenes: options.trainScenes,
    testScenes: options.testScenes,
    frameSize: options.frameSize,
    seed: options.seed,
    overwrite: options.overwrite === true,
    onProgress: (progress) => {
      const now = performance.now();
      if (progress.scenesDone === progress.scenesTotal || now - lastReport > 2000) {
        lastReport = now;
        options.log(
          `  rendering ${options.scene}: ${progress.scenesDone}/${progress.scenesTotal} scenes, ${progress.filesDone}/${progress.filesTotal} files`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  options.log(
    `data: ${info.trainScenes} train + ${info.testScenes} test ${info.name} scenes at ${info.frameSize} px in ${options.dataDir} (${seconds.toFixed(1)} s)`,
  );
  return info;
}
