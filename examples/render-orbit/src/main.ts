// View interpolation: a camera orbits a test scene and the GQN renders each frame from the same K
// context views, with the prior (no target seen). By default it renders the checkpoint that the
// main job (examples/train-synthetic) wrote; without one it trains a tiny model for a minute first,
// so the command always runs (its pictures then show what an untrained GQN draws: blobs).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@gqn/backend";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import { latestCheckpoint, renderCheckpoint, train } from "@gqn/train/node";

const HELP = `Usage: pnpm start [-- options]

  --model-dir M   run directory or checkpoint (default ../train-synthetic/runs/shepard-metzler)
  --data-dir D    dataset root (default ../train-synthetic/data)
  --dataset NAME  default shepard_metzler_7_parts
  --out DIR       where the PNGs and orbit.gif go (default ./out)
  --frames N      orbit frames (default 36)
  --scenes N      test scenes rendered beside their targets (default 4)
  --backend B     auto | tensorflow | wasm | cpu (default auto)
  --seed S        scene choice and latents (default 0)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")), // pnpm passes "--" through
    strict: true,
    options: {
      "model-dir": { type: "string" },
      "data-dir": { type: "string" },
      dataset: { type: "string" },
      out: { type: "string" },
      frames: { type: "string" },
      scenes: { type: "string" },
      backend: { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = (name: string, text: string | undefined, fallback: number) => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be an integer >= 0, but got "${text}".`);
    return n;
  };
  const backend = await initBackend({ backend: (values.backend ?? "auto") as "auto", log: say });
  let modelDir = resolve(values["model-dir"] ?? "../train-synthetic/runs/shepard-metzler");
  let dataDir = resolve(values["data-dir"] ?? "../train-synthetic/data");
  const dataset = values.dataset ?? "shepard_metzler_7_parts";

  const hasCheckpoint =
    existsSync(resolve(modelDir, "model.json")) || (await latestCheckpoint(modelDir)) !== undefined;
  if (!hasCheckpoint) {
    if (values["model-dir"] !== undefined) throw new Error(`no checkpoint in ${modelDir}.`);
    say(
      `No checkpoint in ${modelDir}: run the main job first (pnpm start at the repository root) for a trained model.`,
    );
    say("Meanwhile: a tiny model trained for one minute on 200 synthetic scenes, to show the pipeline.");
    dataDir = resolve("data");
    modelDir = resolve("runs/tiny");
    await writeSyntheticDataset({
      out: dataDir,
      scene: "shepard_metzler_7_parts",
      trainScenes: 200,
      testScenes: 20,
      frameSize: 32,
    });
    await train({
      dataDir,
      dataset: "shepard_metzler_7_parts",
      modelDir,
      preset: "tiny",
      maxMinutes: 1,
      resume: existsSync(modelDir),
      log: say,
    });
  }
  const out = resolve(values.out ?? "out");
  const result = await renderCheckpoint({
    modelDir,
    dataDir,
    dataset: hasCheckpoint ? dataset : "shepard_metzler_7_parts",
    out,
    scenes: count("scenes", values.scenes, 4),
    orbit: count("frames", values.frames, 36),
    seed: count("seed", values.seed, 0),
  });
  say(`${backend.backend}: rendered ${result.checkpoint} (step ${result.step})`);
  say(`  ${result.scenes.length} test scenes (context views | target | prediction): ${out}/scene-*.png`);
  if (result.gif)
    say(`  orbit: ${result.orbitFrames.length} frames in ${out}/orbit/, animated: ${result.gif}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`render-orbit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
