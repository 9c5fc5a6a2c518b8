// The training page: DOM wiring around browser-training.ts (which has the tests). Query options:
// `?backend=webgpu|webgl|wasm|cpu` (default: WebGPU, else WebGL, else wasm), `?steps=N`,
// `?batch=B`, `?frame=S` (pixels, a multiple of 4), `?render-every=N`, `?autostart=1`.
import * as tf from "@tensorflow/tfjs-core";
import { BROWSER_TRAINING_DEFAULTS, BrowserTraining } from "./browser-training.js";
import { selectBackend, type ViewerBackendRequest } from "./select-backend.js";

const params = new URLSearchParams(location.search);
const number = (name: string, fallback: number) => {
  const value = Number(params.get(name));
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
};
const BACKEND = (params.get("backend") ?? "webgpu") as ViewerBackendRequest;
const FRAME_SIZE = number("frame", BROWSER_TRAINING_DEFAULTS.frameSize);
const RENDER_EVERY = number("render-every", 25);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $<HTMLParagraphElement>("status"),
  steps: $<HTMLInputElement>("steps"),
  batch: $<HTMLInputElement>("batch"),
  train: $<HTMLButtonElement>("train"),
  stop: $<HTMLButtonElement>("stop"),
  download: $<HTMLButtonElement>("download"),
  progress: $<HTMLProgressElement>("progress"),
  loss: $<HTMLParagraphElement>("loss"),
  chart: $<HTMLCanvasElement>("chart"),
  context: $<HTMLCanvasElement>("context"),
  target: $<HTMLCanvasElement>("target"),
  render: $<HTMLCanvasElement>("render"),
  files: $<HTMLParagraphElement>("files"),
};

let training: BrowserTraining | null = null;
let stopAsked = false;
const losses: number[] = [];

function setState(state: string): void {
  document.body.dataset.state = state;
}

/** The ELBO so far as a line, scaled to its own range. */
function drawChart(): void {
  const g = ui.chart.getContext("2d");
  if (!g || losses.length === 0) return;
  const { width, height } = ui.chart;
  g.clearRect(0, 0, width, height);
  const low = Math.min(...losses);
  const high = Math.max(...losses);
  const y = (v: number) => height - 4 - ((v - low) / (high - low || 1)) * (height - 8);
  g.strokeStyle = "#7fb8ff";
  g.beginPath();
  losses.forEach((v, i) => {
    const x = losses.length === 1 ? 0 : (i / (losses.length - 1)) * width;
    if (i === 0) g.moveTo(x, y(v));
    else g.lineTo(x, y(v));
  });
  g.stroke();
}

async function drawPreview(run: BrowserTraining): Promise<void> {
  const images = run.previewRender();
  try {
    const [context, target, render] = tf.unstack(images) as tf.Tensor3D[];
    await Promise.all([
      tf.browser.toPixels(context as tf.Tensor3D, ui.context),
      tf.browser.toPixels(target as tf.Tensor3D, ui.target),
      tf.browser.toPixels(render as tf.Tensor3D, ui.render),
    ]);
    tf.dispose([context, target, render]);
  } finally {
    images.dispose();
  }
  document.body.dataset.previews = String(Number(document.body.dataset.previews ?? 0) + 1);
}

async function train(): Promise<void> {
  const steps = Math.max(1, Math.floor(Number(ui.steps.value)));
  const batchSize = Math.max(1, Math.floor(Number(ui.batch.value)));
  training?.dispose();
  losses.length = 0;
  stopAsked = false;
  const run = new BrowserTraining({ steps, batchSize, frameSize: FRAME_SIZE });
  training = run;
  ui.train.disabled = true;
  ui.stop.disabled = false;
  ui.download.disabled = true;
  ui.progress.max = steps;
  setState("training");
  try {
    await drawPreview(run);
    const started = performance.now();
    while (run.step < steps && !stopAsked) {
      const metrics = await run.trainStep();
      losses.push(metrics.elbo);
      document.body.dataset.step = String(run.step);
      document.body.dataset.losses = JSON.stringify(losses);
      ui.progress.value = run.step;
      const perStep = (performance.now() - started) / run.step;
      ui.loss.textContent = `step ${run.step} of ${steps}: ELBO ${metrics.elbo.toFixed(1)} nats, sigma ${metrics.sigma.toFixed(2)}, ${perStep.toFixed(0)} ms a step`;
      drawChart();
      ui.download.disabled = false;
      if (run.step % RENDER_EVERY === 0 || run.step === steps) await drawPreview(run);
      await tf.nextFrame(); // let the page paint and take clicks
    }
    ui.status.textContent = `${stopAsked ? "Stopped" : "Done"} at step ${run.step}: "Checkpoint files" gives the files that gqn-eval, gqn-render and the viewer read.`;
    setState("done");
  } catch (error) {
    ui.status.textContent = `Training failed: ${(error as Error).message}`;
    setState("error");
    throw error;
  } finally {
    ui.train.disabled = false;
    ui.stop.disabled = true;
  }
}

/** Links to the checkpoint's files, made afresh at each click (a click downloads one file unasked). */
async function offerFiles(): Promise<void> {
  if (!training) return;
  const files = await training.exportFiles();
  for (const link of ui.files.querySelectorAll("a")) URL.revokeObjectURL(link.href);
  ui.files.replaceChildren(
    "The checkpoint at step ",
    String(training.step),
    " (save the three in one folder):",
  );
  for (const [name, blob] of Object.entries(files)) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.textContent = name;
    link.dataset.file = name;
    ui.files.append(" ", link);
  }
  ui.files.hidden = false;
  document.body.dataset.checkpointStep = String(training.step);
}

async function start(): Promise<void> {
  ui.steps.value = String(number("steps", BROWSER_TRAINING_DEFAULTS.steps));
  ui.batch.value = String(number("batch", BROWSER_TRAINING_DEFAULTS.batchSize));
  for (const canvas of [ui.context, ui.target, ui.render]) canvas.width = canvas.height = FRAME_SIZE;
  const backend = await selectBackend(BACKEND, { wasmThreads: 1 });
  document.body.dataset.backend = backend.backend;
  const passed = backend.skipped.length > 0 ? ` (passed over: ${backend.skipped.join("; ")})` : "";
  ui.status.textContent = `Ready: ${backend.backend} (${backend.detail})${passed}.`;
  ui.train.disabled = false;
  ui.train.addEventListener("click", () => void train());
  ui.stop.addEventListener("click", () => {
    stopAsked = true;
  });
  // A checkpoint as three files, which gqn-eval, gqn-render, --init-from and the viewer read.
  ui.download.addEventListener("click", () => {
    offerFiles().catch((error: unknown) => {
      ui.status.textContent = `Could not save the checkpoint: ${(error as Error).message}`;
    });
  });
  setState("ready");
  if (params.get("autostart") === "1") await train();
}

start().catch((error: unknown) => {
  ui.status.textContent = `Could not start: ${(error as Error).message}`;
  setState("error");
});
