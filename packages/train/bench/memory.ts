// Memory over a long run: trains the tiny preset on a small synthetic dataset and prints the live
// tensor count and the process RSS every N steps. Flat columns mean no leak.
//   pnpm bench                 100 steps
//   pnpm bench -- --steps 1000
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@gqn/backend";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import * as tf from "@tensorflow/tfjs-core";
import { train } from "../src/node.js";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "100" },
    backend: { type: "string", default: "wasm" },
    every: { type: "string" },
  },
});
const steps = Number(values.steps);
const every = Number(values.every ?? Math.max(1, Math.round(steps / 10)));
tf.enableProdMode();
await initBackend({ backend: values.backend as "wasm" | "cpu", log: () => {} });
const root = await mkdtemp(join(tmpdir(), "gqn-bench-memory-"));
try {
  await writeSyntheticDataset({
    out: root,
    scene: "shepard_metzler_5_parts",
    trainScenes: 64,
    testScenes: 8,
    frameSize: 32,
    scenesPerFile: 32,
    seed: 1,
    workers: 0,
  });
  const rows: string[][] = [];
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  let t0 = performance.now();
  let s0 = 0;
  await train({
    dataDir: root,
    dataset: "shepard_metzler_5_parts",
    modelDir: join(root, "run"),
    preset: "tiny",
    steps,
    logEvery: every,
    evalEvery: 0,
    renderEvery: 0,
    checkpointEvery: Math.max(every, Math.round(steps / 4)),
    dataWorkers: 0,
    tensorboard: true,
    log: () => {},
    onLog: (r) => {
      if (r.split !== "train") return;
      const now = performance.now();
      const rate = ((r.step - s0) * 1000) / (now - t0);
      t0 = now;
      s0 = r.step;
      const mem = process.memoryUsage();
      rows.push([
        String(r.step),
        String(tf.memory().numTensors),
        mb(tf.memory().numBytes),
        mb(mem.rss),
        mb(mem.heapUsed),
        rate.toFixed(2),
        r.elbo.toFixed(1),
      ]);
      process.stderr.write(`step ${r.step}\r`);
    },
  });
  const header = ["step", "tensors", "tensor MB", "RSS MB", "JS heap MB", "steps/s", "ELBO"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(" | ")} |`;
  console.log(`tiny preset, 32 px, batch 4, ${values.backend} backend, ${steps} steps`);
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  const first = rows[0];
  const last = rows.at(-1);
  if (first && last) {
    console.log(
      `tensors ${first[1]} -> ${last[1]}; RSS ${first[3]} -> ${last[3]} MB over steps ${first[0]}..${last[0]}`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
