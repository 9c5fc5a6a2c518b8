// View interpolation: a camera orbits a test scene and the GQN renders each frame from the same K
// context views, with the prior (no target seen). By default it renders the pretrained rooms model
// that the repository ships (examples/viewer/public/models/gqn-rooms) on rooms test scenes that
// @gqn/scenes renders here on first use, so the command runs on a fresh clone.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@gqn/backend";
import { flagValue, integerOption } from "@gqn/data/node";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import { renderCheckpoint, resolveCheckpoint } from "@gqn/train/node";

const SHIPPED_MODEL = "../viewer/public/models/gqn-rooms";
const SHIPPED_DATASET = "rooms_ring_camera";

const HELP = `Usage: pnpm start [-- options]

  --model-dir M   run directory or checkpoint (default: the shipped rooms model, ${SHIPPED_MODEL})
  --data-dir D    dataset root (default ./data, where rooms test scenes are rendered on first use)
  --dataset NAME  default ${SHIPPED_DATASET}
  --out DIR       where the PNGs and orbit.gif go (default ./out)
  --frames N      orbit frames (default 36)
  --scenes N      test scenes rendered beside their targets (default 4)
  --backend B     auto | tensorflow | wasm | cpu (default auto)
  --seed S        scene choice and latents (default 0)
  --zoom Z        enlarge the PNGs and the GIF Z times (default 4: 32 px frames become 128 px)
  --samples N     prior samples averaged per frame (default 1: one consistent sample)
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
      zoom: { type: "string" },
      samples: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const count = (name: string, text: string | undefined, fallback: number) =>
    flagValue(name, text, fallback, integerOption(0));
  const backend = await initBackend({ backend: (values.backend ?? "auto") as "auto", log: say });
  const modelDir = resolve(values["model-dir"] ?? SHIPPED_MODEL);
  const dataset = values.dataset ?? SHIPPED_DATASET;
  const checkpoint = await resolveCheckpoint(modelDir);
  if (checkpoint === undefined) throw new Error(`no checkpoint in ${modelDir}.`);

  let dataDir = resolve(values["data-dir"] ?? "data");
  if (values["data-dir"] === undefined && dataset === SHIPPED_DATASET) {
    // Test scenes of the shipped model's kind, at its frame size (seconds; kept for next time).
    const { gqnConfig } = JSON.parse(
      await readFile(join(checkpoint, "state.json"), "utf8").catch(() => "{}"),
    ) as {
      gqnConfig?: { frameSize: number };
    };
    const frameSize = gqnConfig?.frameSize ?? 32;
    dataDir = resolve("data", `${frameSize}px`);
    await writeSyntheticDataset({
      out: dataDir,
      scene: SHIPPED_DATASET,
      trainScenes: 1,
      testScenes: 20,
      frameSize,
      seed: 7,
    });
  }
  const out = resolve(values.out ?? "out");
  const result = await renderCheckpoint({
    modelDir,
    dataDir,
    dataset,
    out,
    scenes: count("scenes", values.scenes, 4),
    orbit: count("frames", values.frames, 36),
    seed: count("seed", values.seed, 0),
    zoom: Math.max(1, count("zoom", values.zoom, 4)),
    samples: Math.max(1, count("samples", values.samples, 1)),
  });
  say(`${backend.backend}: rendered ${result.checkpoint} (step ${result.step})`);
  say(
    `  ${result.scenes.length} test scenes (context views | target | prediction): ${out}/scene-*.png, together in ${result.grid ?? "-"}`,
  );
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
