/**
 * The program run inside the fresh npm project, once as ESM and once as CJS: it loads every
 * package through its published entry points and runs a forward pass on the cpu backend.
 */
export function smokeProgram(moduleKind: "esm" | "cjs"): string {
  const load =
    moduleKind === "esm"
      ? (name: string, as: string) => `const ${as} = await import("${name}");`
      : (name: string, as: string) => `const ${as} = require("${name}");`;
  const body = `
${load("@tensorflow/tfjs-core", "tf")}
${load("@gqn/core", "core")}
${load("@gqn/backend", "backend")}
${load("@gqn/data", "data")}
${load("@gqn/encoders", "encoders")}
${load("@gqn/draw", "draw")}
${load("@gqn/model", "model")}
${load("@gqn/train", "train")}
${load("@gqn/eval", "evaluation")}
const info = await backend.initBackend({ backend: "wasm", log: () => {} });
const perView = tf.ones([6, 2, 2, 3]);
const scene = encoders.aggregateViews(perView, 3, "sum");
const values = Array.from(await scene.data());
// A forward pass through the published layers: a tower encoder and DRAW, seeded.
const encoder = encoders.createEncoder({ type: "tower", frameSize: 32 });
const frames = tf.fill([2, 32, 32, 3], 0.5);
const poses = tf.zeros([2, 7]);
const representation = encoder.encode(frames, poses);
const drawLayer = new draw.Draw({ steps: 2, hiddenChannels: 8, canvasChannels: 8, latentChannels: 4, seed: 1 });
const condition = tf.concat([representation, tf.zeros([2, 8, 8, 7])], 3);
const image = drawLayer.generate(condition, { seed: 3 }).mean;
const imageValues = Array.from(await image.data());
// The whole GQN through @gqn/model: represent a scene once, render a view from it.
const gqn = model.GqnModel.create(model.resolveGqnConfig("tiny"), { seed: 1 });
const r = gqn.represent(tf.fill([1, 3, 32, 32, 3], 0.5), tf.zeros([1, 3, 7]));
const view = gqn.render(r, tf.zeros([1, 7]), { seed: 2 });
const result = {
  encoded: representation.shape,
  image: image.shape,
  finite: imageValues.every(Number.isFinite),
  backend: info.backend,
  shape: scene.shape,
  sum: values.reduce((a, b) => a + b, 0),
  views: data.getDatasetSpec("rooms_ring_camera").views,
  error: new core.GqnError("INVALID_ARGUMENT", "x").code,
  steps: draw.DEFAULT_DRAW_CONFIG.steps,
  represented: r.shape,
  view: view.shape,
  sigma0: train.getTrainingPreset("paper").sigma.start,
  trainer: typeof train.createTrainer,
  baseline: evaluation.contextAverage(tf.fill([1, 3, 2, 2, 3], 0.5)).shape,
};
console.log(JSON.stringify(result));
`;
  return moduleKind === "esm"
    ? body
    : `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
}

/** What both programs must print. */
export const SMOKE_EXPECTED = {
  encoded: [2, 8, 8, 256],
  image: [2, 32, 32, 3],
  finite: true,
  backend: "wasm",
  shape: [2, 2, 2, 3],
  sum: 72,
  views: 10,
  error: "INVALID_ARGUMENT",
  steps: 8,
  represented: [1, 1, 1, 32],
  view: [1, 32, 32, 3],
  sigma0: 2,
  trainer: "function",
  baseline: [1, 2, 2, 3],
};
