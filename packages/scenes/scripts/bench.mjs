// Benchmark of @gqn/scenes (run after a build: `pnpm bench`). Prints scenes/s of
// 1. rendering alone on the main thread (no JPEG, no file), per scene kind and frame size;
// 2. whole datasets written by writeSyntheticDataset (render + JPEG + TFRecord files), at 32 and 64 px
//    with 1 and 2 worker threads;
// 3. the two datasets that matter in practice: the target (2,000 Shepard-Metzler scenes at
//    64 px on 2 cores, under a minute) and the examples' main job (2,000 + 200 scenes at 32 px).
// Usage: node scripts/bench.mjs [--scenes 1000] [--quick]
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { generateScene, renderScene, SCENE_KINDS, sceneSeed, writeSyntheticDataset } from "../dist/node.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const quick = process.argv.includes("--quick");
const datasetScenes = arg("scenes", quick ? 200 : 1000);
const kinds = ["shepard_metzler_5_parts", "rooms_ring_camera"];
const rows = [];
const row = (job, kind, px, workers, scenes, seconds) =>
  rows.push({
    job,
    kind,
    px,
    workers,
    scenes,
    "time s": seconds.toFixed(1),
    "scenes/s": (scenes / seconds).toFixed(0),
    "frames/s": ((scenes * SCENE_KINDS[kind].views) / seconds).toFixed(0),
  });

function timeRender(kind, frameSize, count) {
  // Warm up the JIT first, then time.
  for (let i = 0; i < 10; i++) {
    const { scene, cameras } = generateScene(kind, sceneSeed(1, "train", i));
    renderScene(scene, cameras, { frameSize });
  }
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const { scene, cameras } = generateScene(kind, sceneSeed(0, "train", i));
    renderScene(scene, cameras, { frameSize });
  }
  return (performance.now() - start) / 1000;
}

const work = mkdtempSync(join(tmpdir(), "gqn-scenes-bench-"));
let run = 0;
async function timeDataset(options) {
  const start = performance.now();
  // A fresh directory each time: a rerun into the same one would keep the complete files.
  await writeSyntheticDataset({ out: join(work, String(run++)), scenesPerFile: 100, ...options });
  return (performance.now() - start) / 1000;
}

try {
  for (const kind of kinds) {
    for (const px of [32, 64]) {
      const count = px === 32 ? datasetScenes : datasetScenes / 2;
      row("render only, main thread", kind, px, 0, count, timeRender(kind, px, count));
    }
  }
  for (const kind of kinds) {
    for (const px of [32, 64]) {
      for (const workers of [1, 2]) {
        const seconds = await timeDataset({
          scene: kind,
          trainScenes: datasetScenes,
          frameSize: px,
          workers,
        });
        row("writeSyntheticDataset", kind, px, workers, datasetScenes, seconds);
      }
    }
  }
  if (!quick) {
    const kind = "shepard_metzler_5_parts";
    let seconds = await timeDataset({ scene: kind, trainScenes: 2000, frameSize: 64, workers: 2 });
    row("issue target: 2000 train, < 60 s", kind, 64, 2, 2000, seconds);
    seconds = await timeDataset({
      scene: kind,
      trainScenes: 2000,
      testScenes: 200,
      frameSize: 32,
      workers: 2,
    });
    row("examples' data: 2000 + 200", kind, 32, 2, 2200, seconds);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`@gqn/scenes bench: ${availableParallelism()} cores, Node ${process.version}`);
console.table(rows);
