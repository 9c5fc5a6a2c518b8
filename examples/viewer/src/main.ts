// The viewer page: loads a gqn-train checkpoint and a scene bundle, then renders the scene from
// the query camera the user moves. Everything here is DOM wiring; the logic it drives lives in
// scene-renderer.ts, orbit-camera.ts, scene-bundle.ts and select-backend.ts, which have tests.

// scene-renderer.ts imports @gqn/model, which registers the GQN's layer class that
// tf.loadLayersModel needs to rebuild a saved GqnModel (it uses GqnModel, so the import stays in
// the bundle).
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { cameraToPose } from "./camera-pose.js";
import { loadFrames, paintRgb } from "./load-frames.js";
import { cameraToOrbit, dragOrbit, type OrbitCamera, orbitToCamera } from "./orbit-camera.js";
import { RenderTimer } from "./render-timer.js";
import { pairDroppedImages, parseSceneBundle, type SceneBundle } from "./scene-bundle.js";
import { SceneRenderer } from "./scene-renderer.js";
import { selectBackend, type ViewerBackendRequest } from "./select-backend.js";

const params = new URLSearchParams(location.search);
const MODEL_URL = params.get("model") ?? "./models/gqn-rooms/model.json";
const SCENES_URL = params.get("scenes") ?? "./scenes/rooms_ring_camera-test.json";
const BACKEND = (params.get("backend") ?? "auto") as ViewerBackendRequest;
/** `?threads=N`: wasm threads (1: the single-threaded build); default one per core. */
const WASM_THREADS = Number(params.get("threads")) || undefined;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $<HTMLParagraphElement>("status"),
  render: $<HTMLCanvasElement>("render"),
  truth: $<HTMLCanvasElement>("truth"),
  truthFigure: $<HTMLElement>("truth-figure"),
  timing: $<HTMLParagraphElement>("timing"),
  yaw: $<HTMLInputElement>("yaw"),
  pitch: $<HTMLInputElement>("pitch"),
  distance: $<HTMLInputElement>("distance"),
  contextViews: $<HTMLDivElement>("context-views"),
  heldOutViews: $<HTMLDivElement>("held-out-views"),
  contextSize: $<HTMLInputElement>("context-size"),
  contextSizeValue: $<HTMLOutputElement>("context-size-value"),
  contextCount: $<HTMLSpanElement>("context-count"),
  scene: $<HTMLSelectElement>("scene"),
  drop: $<HTMLDivElement>("drop"),
  files: $<HTMLInputElement>("files"),
  modelInfo: $<HTMLDListElement>("model-info"),
};

interface LoadedScene {
  readonly id: string;
  /** Every view, at the model's frame size: `[V, S, S, 3]`. */
  readonly frames: tf.Tensor4D;
  /** `V * 5` floats `[x, y, z, yaw, pitch]`. */
  readonly cameras: Float32Array;
  /** Each view's pixels, for the thumbnails and the true view. */
  readonly pixels: Float32Array[];
}

const state = {
  backend: "",
  renderer: null as SceneRenderer | null,
  modelName: "",
  bundle: null as SceneBundle | null,
  scene: null as LoadedScene | null,
  // The K the main job and the shipped rooms model train with.
  contextSize: 5,
  orbit: { yaw: 0, pitch: -0.5, distance: 2 } as OrbitCamera,
  heldOut: -1,
  dirty: false,
  busy: false,
  renders: 0,
};
const timer = new RenderTimer(30);

function setStatus(text: string, pageState?: "loading" | "ready" | "error"): void {
  ui.status.textContent = text;
  if (pageState) document.body.dataset.state = pageState;
}

function fail(error: unknown): void {
  console.error(error);
  setStatus(`Error: ${error instanceof Error ? error.message : String(error)}`, "error");
}

// ---------------------------------------------------------------- model

async function loadModel(source: string | tf.io.IOHandler, name: string): Promise<void> {
  setStatus(`Loading model ${name}…`, "loading");
  const started = performance.now();
  const model = await tfl.loadLayersModel(source).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // A static server answers 404; a dev server with an HTML fallback answers the page itself.
    if (
      typeof source === "string" &&
      /404|Failed to fetch|Not Found|Failed to parse model JSON/i.test(message)
    ) {
      throw new Error(
        `no model at ${source}. Make one with "pnpm --filter @gqn-examples/viewer copy-model <gqn-train model dir>" (docs/viewer.md), or drop a checkpoint's model.json with its weights.bin here.`,
      );
    }
    throw new Error(
      `could not load the model ${name} (layer classes known: @gqn/model's GQN, stock tfjs layers): ${message}`,
    );
  });
  const renderer = new SceneRenderer(model);
  state.renderer?.dispose();
  state.renderer = renderer;
  state.modelName = name;
  const params = model.countParams();
  const bytes = params * 4; // float32 weights
  showInfo({
    model: name,
    "frame size": `${renderer.frameSize} px`,
    "context views": renderer.contextSize === null ? "any number" : String(renderer.contextSize),
    parameters: `${params.toLocaleString("en")} (${(bytes / 2 ** 20).toFixed(2)} MiB)`,
    "load time": `${Math.round(performance.now() - started)} ms`,
  });
  timer.reset();
  if (state.bundle) await showScene(Number(ui.scene.value) || 0);
}

function showInfo(entries: Record<string, string>): void {
  const backendLine = { backend: state.backend };
  ui.modelInfo.replaceChildren(
    ...Object.entries({ ...backendLine, ...entries }).flatMap(([key, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = key;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

// ---------------------------------------------------------------- scenes

async function loadBundle(bundle: SceneBundle): Promise<void> {
  state.bundle = bundle;
  ui.scene.replaceChildren(
    ...bundle.scenes.map((scene, i) => new Option(`${i + 1}. ${scene.id}`, String(i))),
  );
  await showScene(0);
}

async function showScene(index: number): Promise<void> {
  const bundleScene = state.bundle?.scenes[index];
  if (!bundleScene) return;
  ui.scene.value = String(index);
  await setScene(bundleScene.id, bundleScene.frames, bundleScene.cameras);
}

async function setScene(
  id: string,
  images: readonly (string | Blob)[],
  cameras: ArrayLike<number>,
): Promise<void> {
  const renderer = state.renderer;
  if (!renderer) return;
  const size = renderer.frameSize;
  const frames = await loadFrames(images, size);
  const views = frames.shape[0];
  const pixels = Array.from({ length: views }, (_, v) =>
    tf.tidy(() => tf.slice(frames, [v, 0, 0, 0], [1, size, size, 3]).dataSync() as Float32Array),
  );
  state.scene?.frames.dispose();
  state.scene = { id, frames, cameras: Float32Array.from(cameras), pixels };
  const max = renderer.contextSize ?? Math.max(1, views - 1);
  ui.contextSize.max = String(Math.min(max, views));
  ui.contextSize.disabled = renderer.contextSize !== null;
  state.contextSize = renderer.contextSize ?? Math.min(state.contextSize, max);
  if (renderer.contextSize !== null && views < renderer.contextSize) {
    throw new Error(`The scene has ${views} views; this model needs ${renderer.contextSize} context views.`);
  }
  ui.contextSize.value = String(state.contextSize);
  applyContext();
  // Start where a held-out view is, so the first rendering can be checked against the truth.
  selectHeldOut(state.contextSize < views ? state.contextSize : -1);
}

function applyContext(): void {
  const { renderer, scene } = state;
  if (!renderer || !scene) return;
  const k = state.contextSize;
  const size = renderer.frameSize;
  // Not inside a tf.tidy: the renderer keeps copies of the context, which a tidy would dispose.
  const frames = tf.slice(scene.frames, [0, 0, 0, 0], [k, size, size, 3]);
  const poses = tf.tensor2d(
    Array.from({ length: k }, (_, v) => Array.from(cameraToPose(scene.cameras.subarray(5 * v, 5 * v + 5)))),
  );
  try {
    renderer.setScene(frames, poses);
  } finally {
    frames.dispose();
    poses.dispose();
  }
  ui.contextSizeValue.textContent = String(k);
  ui.contextCount.textContent = `(${k} of ${scene.pixels.length})`;
  const thumb = (v: number, onClick: () => void) => {
    const canvas = document.createElement("canvas");
    paintRgb(canvas, scene.pixels[v] as Float32Array, size);
    canvas.title = `view ${v + 1}`;
    canvas.dataset.view = String(v);
    canvas.addEventListener("click", onClick);
    return canvas;
  };
  ui.contextViews.replaceChildren(
    ...scene.pixels
      .slice(0, k)
      .map((_, v) => thumb(v, () => jumpTo(scene.cameras.subarray(5 * v, 5 * v + 5)))),
  );
  ui.heldOutViews.replaceChildren(
    ...scene.pixels.slice(k).map((_, i) => thumb(k + i, () => selectHeldOut(k + i))),
  );
  if (state.heldOut >= 0 && state.heldOut < k) selectHeldOut(-1);
  requestRender();
}

function selectHeldOut(view: number): void {
  state.heldOut = view;
  const scene = state.scene;
  for (const canvas of ui.heldOutViews.querySelectorAll("canvas")) {
    canvas.classList.toggle("selected", Number(canvas.dataset.view) === view);
  }
  if (!scene || view < 0) {
    ui.truthFigure.hidden = true;
    return;
  }
  ui.truthFigure.hidden = false;
  paintRgb(ui.truth, scene.pixels[view] as Float32Array, state.renderer?.frameSize ?? 64);
  jumpTo(scene.cameras.subarray(5 * view, 5 * view + 5), true);
}

/** Moves the query camera to a stored camera (its exact pose, not the orbit's). */
let exactCamera: Float32Array | null = null;
function jumpTo(camera: Float32Array, keepTruth = false): void {
  if (!keepTruth) selectHeldOut(-1);
  state.orbit = cameraToOrbit(camera);
  exactCamera = Float32Array.from(camera);
  syncSliders();
  requestRender();
}

function setOrbit(orbit: OrbitCamera): void {
  state.orbit = orbit;
  exactCamera = null;
  if (state.heldOut >= 0) selectHeldOut(-1);
  syncSliders();
  requestRender();
}

function syncSliders(): void {
  const degrees = (radians: number) => Math.round((radians * 180) / Math.PI);
  ui.yaw.value = String(degrees(state.orbit.yaw));
  ui.pitch.value = String(degrees(state.orbit.pitch));
  ui.distance.value = String(state.orbit.distance);
  ui.yaw.nextElementSibling!.textContent = `${degrees(state.orbit.yaw)}°`;
  ui.pitch.nextElementSibling!.textContent = `${degrees(state.orbit.pitch)}°`;
  ui.distance.nextElementSibling!.textContent = state.orbit.distance.toFixed(2);
}

// ---------------------------------------------------------------- rendering

function requestRender(): void {
  state.dirty = true;
  if (!state.busy) void renderLoop();
}

/** Renders until the camera stops changing; a change during a render is picked up after it. */
async function renderLoop(): Promise<void> {
  const renderer = state.renderer;
  if (!renderer?.hasScene) return;
  state.busy = true;
  document.body.dataset.busy = "true";
  try {
    while (state.dirty) {
      state.dirty = false;
      const camera = exactCamera ?? orbitToCamera(state.orbit);
      const started = performance.now();
      const image = renderer.render(cameraToPose(camera));
      const rgb = await image.data(); // waits for the GPU too: the time is the whole render
      const ms = performance.now() - started;
      image.dispose();
      paintRgb(ui.render, rgb, renderer.frameSize);
      timer.add(ms);
      state.renders += 1;
      document.body.dataset.renders = String(state.renders);
      document.body.dataset.lastRenderMs = ms.toFixed(2);
      ui.timing.textContent = timer.describe();
      await new Promise(requestAnimationFrame);
    }
  } catch (error) {
    fail(error);
  } finally {
    state.busy = false;
    document.body.dataset.busy = "false";
  }
}

// ---------------------------------------------------------------- input

function wireControls(): void {
  let drag: { x: number; y: number; orbit: OrbitCamera } | null = null;
  ui.render.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, orbit: state.orbit };
    ui.render.setPointerCapture(event.pointerId);
    ui.render.classList.add("dragging");
  });
  ui.render.addEventListener("pointermove", (event) => {
    if (!drag) return;
    setOrbit(dragOrbit(drag.orbit, event.clientX - drag.x, event.clientY - drag.y));
  });
  const endDrag = () => {
    drag = null;
    ui.render.classList.remove("dragging");
  };
  ui.render.addEventListener("pointerup", endDrag);
  ui.render.addEventListener("pointercancel", endDrag);
  ui.render.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const distance = Math.min(4, Math.max(1, state.orbit.distance * Math.exp(event.deltaY / 500)));
      setOrbit({ ...state.orbit, distance });
    },
    { passive: false },
  );
  const radians = (input: HTMLInputElement) => (Number(input.value) * Math.PI) / 180;
  ui.yaw.addEventListener("input", () => setOrbit({ ...state.orbit, yaw: radians(ui.yaw) }));
  ui.pitch.addEventListener("input", () => setOrbit({ ...state.orbit, pitch: radians(ui.pitch) }));
  ui.distance.addEventListener("input", () =>
    setOrbit({ ...state.orbit, distance: Number(ui.distance.value) }),
  );
  ui.contextSize.addEventListener("input", () => {
    state.contextSize = Number(ui.contextSize.value);
    timer.reset();
    applyContext();
  });
  ui.scene.addEventListener("change", () => void showScene(Number(ui.scene.value)).catch(fail));

  ui.drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    ui.drop.classList.add("over");
  });
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  ui.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    ui.drop.classList.remove("over");
    void openFiles([...(event.dataTransfer?.files ?? [])]).catch(fail);
  });
  ui.files.addEventListener("change", () => void openFiles([...(ui.files.files ?? [])]).catch(fail));
}

/** Handles dropped or chosen files: a checkpoint, a scene bundle, or images with their cameras. */
async function openFiles(files: File[]): Promise<void> {
  const jsonFiles = files.filter((f) => f.name.endsWith(".json"));
  const parsed = await Promise.all(
    jsonFiles.map(async (f) => ({ file: f, json: JSON.parse(await f.text()) as unknown })),
  );
  const modelJson = parsed.find(
    ({ json }) => typeof json === "object" && json !== null && "modelTopology" in json,
  );
  if (modelJson) {
    const weights = files.filter((f) => f.name.endsWith(".bin"));
    await loadModel(tf.io.browserFiles([modelJson.file, ...weights]), modelJson.file.name);
    return;
  }
  const bundleJson = parsed.find(({ json }) => (json as { format?: unknown })?.format === "gqn-scene-bundle");
  if (bundleJson) {
    await loadBundle(parseSceneBundle(bundleJson.json));
    return;
  }
  const images = files.filter((f) => f.type.startsWith("image/"));
  const camerasJson = parsed[0];
  if (images.length === 0 || !camerasJson) {
    throw new Error(
      "Drop images together with a cameras .json, a scene bundle .json, or model.json with its .bin files.",
    );
  }
  const { names, cameras } = pairDroppedImages(
    images.map((f) => f.name),
    camerasJson.json,
  );
  const byName = new Map(images.map((f) => [f.name, f]));
  ui.scene.append(new Option(`your scene (${names.length} views)`, "dropped"));
  ui.scene.value = "dropped";
  await setScene(
    "your scene",
    names.map((n) => byName.get(n) as File),
    cameras,
  );
}

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  wireControls();
  syncSliders();
  setStatus("Starting TensorFlow.js…");
  const info = await selectBackend(BACKEND, { wasmThreads: WASM_THREADS });
  state.backend = `${info.backend} (${info.detail})`;
  document.body.dataset.backend = info.backend;
  if (info.skipped.length > 0) console.info(`[viewer] passed over: ${info.skipped.join("; ")}`);
  const bundlePromise = fetch(SCENES_URL).then(async (response) => {
    if (!response.ok) throw new Error(`could not fetch the scenes ${SCENES_URL} (HTTP ${response.status})`);
    return parseSceneBundle(await response.json());
  });
  const modelError = await loadModel(MODEL_URL, MODEL_URL.split("/").slice(-2).join("/")).then(
    () => null,
    (error: unknown) => error,
  );
  const bundle = await bundlePromise;
  if (modelError !== null) {
    // Keep the scenes for a checkpoint the user drops on the page (loadModel shows them then).
    state.bundle = bundle;
    ui.scene.replaceChildren(
      ...bundle.scenes.map((scene, i) => new Option(`${i + 1}. ${scene.id}`, String(i))),
    );
    fail(modelError);
    return;
  }
  await loadBundle(bundle);
  await waitForRenders();
  // A failed first render has already put its error on the page; "ready" would hide it.
  if (document.body.dataset.state === "error") return;
  setStatus(
    `Ready: ${state.backend}, model ${state.modelName}, ${bundle.scenes.length} test scenes of ${bundle.dataset}.`,
    "ready",
  );
}

/** Resolves once the render loop has drawn the current camera. */
async function waitForRenders(): Promise<void> {
  while (state.busy || state.dirty) await new Promise((resolve) => setTimeout(resolve, 10));
}

start().catch(fail);
