// View interpolation with @gqn/model: a camera orbits a test scene and the GQN renders each frame
// from the same K context views, with the prior (no target seen). The scene is represented once
// (`GqnModel.represent`); every frame runs DRAW's prior only (`GqnModel.render`). By default it
// renders the pretrained rooms model that the repository ships (examples/viewer/public/models/
// gqn-rooms) on rooms test scenes that @gqn/scenes renders here on first use, so the command runs
// on a fresh clone. `gqn-render --orbit` of @gqn/train does the same for training runs, with grids.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@gqn/backend";
import { flagValue, integerOption } from "@gqn/core/cli";
import { createSceneBatches, encodeGif, encodePng, readDatasetInfo, type SceneBatch } from "@gqn/data/node";
import { GqnModel, renderOrbit, scaleImage } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import { pretrainedModelDir } from "@gqn/pretrained/node";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import * as tf from "@tensorflow/tfjs-core";
import { firstOffCentreScene } from "./scene-choice.js";

// The shipped rooms model, from @gqn/pretrained: found wherever this example is installed.
const SHIPPED_MODEL = pretrainedModelDir("rooms-32");
const SHIPPED_DATASET = "rooms_ring_camera";

const HELP = `Usage: pnpm start [-- options]

  --model-dir M   a saved GqnModel: a directory with model.json and weights.bin, such as a
                  gqn-train checkpoint (runs/NAME/checkpoints/ckpt-N)
                  (default: the shipped rooms model of @gqn/pretrained, rooms-32)
  --data-dir D    dataset root (default ./data/<frame size>px, where rooms test scenes are
                  rendered on first use)
  --dataset NAME  default ${SHIPPED_DATASET}
  --out DIR       where orbit/frame-*.png and orbit.gif go (default ./out)
  --frames N      orbit frames (default 36)
  --context K     context views (default 5)
  --scene I       which test scene, 0-based, in the split's record order (default: the first
                  scene whose objects all stand at least 1 unit from the room's centre, for
                  gqn-synth rooms data; else 0)
  --backend B     auto | tensorflow | webgpu | wasm | cpu (default auto)
  --seed S        seed of the prior's latents, the same for every frame (default 0)
  --zoom Z        enlarge the PNGs and the GIF Z times (default 4: 32 px frames become 128 px)
  --samples N     prior samples averaged per frame (default 1: one consistent sample)
`;

/**
 * The first test scene with no object near the room's centre, when the split was written by
 * gqn-synth (its scenes can be regenerated from the dataset's seed); else scene 0.
 */
async function defaultScene(dataDir: string, dataset: string, say: (line: string) => void): Promise<number> {
  const info = await readDatasetInfo(dataDir, dataset);
  if (info.generator !== "@gqn/scenes" || info.name !== SHIPPED_DATASET || typeof info.seed !== "number")
    return 0;
  const scene = firstOffCentreScene(info.seed, typeof info.testScenes === "number" ? info.testScenes : 0);
  if (scene === undefined) {
    say(`no test scene of ${dataset} has every object 1 unit or more from the room's centre; scene 0`);
    return 0;
  }
  return scene;
}

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
      context: { type: "string" },
      scene: { type: "string" },
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
  const int = (name: string, text: string | undefined, fallback: number, min: number) =>
    flagValue(name, text, fallback, integerOption(min));
  const frames = int("frames", values.frames, 36, 1);
  const contextSize = int("context", values.context, 5, 1);
  const seed = int("seed", values.seed, 0, 0);
  const zoom = int("zoom", values.zoom, 4, 1);
  const samples = int("samples", values.samples, 1, 1);
  const backend = await initBackend({ backend: (values.backend ?? "auto") as "auto", log: say });

  const modelDir = resolve(values["model-dir"] ?? SHIPPED_MODEL);
  if (!existsSync(join(modelDir, "model.json"))) {
    throw new Error(
      `${modelDir} holds no model.json; pass a saved model, e.g. a checkpoint runs/NAME/checkpoints/ckpt-N.`,
    );
  }
  const model = await GqnModel.load(layersModelFiles(modelDir));
  const frameSize = model.config.frameSize;
  const dataset = values.dataset ?? SHIPPED_DATASET;
  let dataDir = values["data-dir"];
  if (dataDir === undefined) {
    if (dataset !== SHIPPED_DATASET) throw new Error(`--data-dir is needed for --dataset ${dataset}.`);
    // Test scenes of the shipped model's kind, at its frame size (seconds; kept for next time).
    dataDir = resolve("data", `${frameSize}px`);
    await writeSyntheticDataset({
      out: dataDir,
      scene: SHIPPED_DATASET,
      trainScenes: 1,
      testScenes: 20,
      frameSize,
      seed: 7,
      overwrite: true, // this example's own cache: data an older version wrote is rendered again
    });
  }

  const sceneIndex =
    values.scene !== undefined
      ? int("scene", values.scene, 0, 0)
      : await defaultScene(resolve(dataDir), dataset, say);

  // One test scene's K context views (the first batch holds scenes 0..sceneIndex, in record order).
  const batches = createSceneBatches({
    dataDir: resolve(dataDir),
    dataset,
    split: "test",
    batchSize: sceneIndex + 1,
    contextSize,
    frameSize,
    seed,
    shuffle: false,
    repeat: false,
  });
  let batch: SceneBatch | undefined;
  for await (const first of batches) {
    batch = first;
    break; // closes the reader
  }
  if (!batch || batch.target.shape[0] <= sceneIndex) {
    throw new Error(`the test split of ${dataset} in ${dataDir} has no scene ${sceneIndex}.`);
  }
  const one = <T extends tf.Tensor>(t: T) => tf.slice(t, sceneIndex, 1) as T;
  const contextFrames = one(batch.contextFrames); // [1, K, S, S, 3]
  const contextPoses = one(batch.contextPoses); // [1, K, 7]
  batch.dispose();

  const images = (await renderOrbit(model, contextFrames, contextPoses, { frames, seed, samples })).map(
    (image) => scaleImage(image, zoom),
  );
  tf.dispose([contextFrames, contextPoses]);
  model.dispose();
  const out = resolve(values.out ?? "out");
  await mkdir(join(out, "orbit"), { recursive: true });
  for (const [i, image] of images.entries()) {
    const path = join(out, "orbit", `frame-${String(i).padStart(3, "0")}.png`);
    await writeFile(path, encodePng(image.data, image.width, image.height));
  }
  await writeFile(join(out, "orbit.gif"), encodeGif(images));
  say(
    `${backend.backend}: ${modelDir}, test scene ${sceneIndex} of ${dataset} from ${contextSize} views: ${frames} frames in ${out}/orbit/, animated: ${join(out, "orbit.gif")}`,
  );
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
