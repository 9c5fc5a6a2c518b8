// The main job's flags and --help, in one place so the text cannot drift from what is parsed.
import type { ParseArgsConfig } from "node:util";

/** The dataset the main job renders and trains on unless --scene says otherwise: the seed's. */
export const DEFAULT_SCENE = "rooms_ring_camera";

/** What the test renders are scored beside (the same baselines as gqn-eval's report). */
export const BASELINES = [
  "the mean training image",
  "the context view nearest the query",
  "the context average",
  "a plane sweep through the context views (no learning: the cameras' geometry alone)",
];

export const MAIN_OPTIONS = {
  minutes: { type: "string" },
  steps: { type: "string" },
  encoder: { type: "string" },
  reader: { type: "string" },
  preset: { type: "string" },
  scene: { type: "string" },
  backend: { type: "string" },
  "data-dir": { type: "string" },
  "model-dir": { type: "string" },
  "frame-size": { type: "string" },
  "train-scenes": { type: "string" },
  "test-scenes": { type: "string" },
  "batch-size": { type: "string" },
  "context-size": { type: "string" },
  "draw-steps": { type: "string" },
  seed: { type: "string" },
  resume: { type: "boolean" },
  overwrite: { type: "boolean" },
  help: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

export const HELP = `Usage: pnpm start [-- options]

Renders a synthetic dataset (once; ${DEFAULT_SCENE} unless --scene says otherwise), trains a GQN
on it for a time budget, and scores its test renders (ELBO, PSNR and SSIM of one sample and of the
predictive mean) beside ${BASELINES.slice(0, -1).join(", ")} and ${BASELINES.at(-1)}.

  --minutes M        training time budget (default 10)
  --steps N          stop after N steps if that comes before the budget
  --preset NAME      tiny | small | tf-gqn | paper (default: tiny, or tf-gqn on a GPU)
  --backend B        auto | tensorflow | webgpu | wasm | cpu (default auto: the fastest installed)
  --scene NAME       rooms_ring_camera | shepard_metzler_5_parts | shepard_metzler_7_parts
                     (default ${DEFAULT_SCENE}, the seed's dataset)
  --data-dir D       where the dataset is rendered (default ./data)
  --model-dir M      where checkpoints, logs and renders go (default ./runs/<scene>)
  --frame-size PX    frame size of the rendered scenes (default 32; 64 with a GPU)
  --train-scenes N   training scenes to render (default 2000)
  --test-scenes N    test scenes to render (default 200)
  --batch-size B     scenes per training batch (default 8; 36 on a GPU)
  --context-size K   context views per scene (default 5)
  --encoder TYPE     pool | tower | pyramid (default on a CPU: tower, at the preset's width;
                     else the preset's)
  --reader TYPE      epipolar (default): DRAW's condition gets what the context views show
                     along each query pixel's ray (the cameras' geometry, a learnt plane sweep);
                     epipolar-attention: also an attention over those samples at every DRAW
                     step (3.5x slower steps); none: the paper's GQN
  --draw-steps L     DRAW steps: L, or MIN-MAX drawn per batch (the model gets L = MAX and
                     renders with any L up to it); default the preset's
  --seed S           seeds the data, the model and the prior (default 1)
  --resume           continue the run in --model-dir instead of starting over
  --overwrite        replace a dataset in --data-dir rendered with other settings (refused
                     by default)
  --help             this text
`;
