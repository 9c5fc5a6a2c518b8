import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { checkInteger, GqnError } from "@gqn/core";
import { findBuiltModule, writeFileAtomic } from "@gqn/core/node";
import { type Split, shardFileName } from "@gqn/data";
import { OBJECT_MASKS_FORMAT, type ObjectMasksEntry, objectMaskFileName } from "@gqn/data/node";
import { CAMERA_CONVENTIONS } from "./camera.js";
import { ROOMS_DEFAULTS, roomsDepthRange } from "./rooms-ring-camera.js";
import { getSceneKind, type SceneKind } from "./scene-kinds.js";
import { SHEPARD_METZLER_DEFAULTS, shepardMetzlerDepthRange } from "./shepard-metzler.js";
import { runSynthFileTask, type SynthFileTask, SynthStopped } from "./synth-task.js";
import type { SynthWorkerMessage } from "./synth-worker.js";

/** Options of {@link writeSyntheticDataset}. */
export interface WriteSyntheticDatasetOptions {
  /** Root directory; the dataset goes to `<out>/<scene>/`. */
  out: string;
  /** Which scene kind (and dataset name) to render. */
  scene: SceneKind;
  /** Scenes in the train split (at least 1). */
  trainScenes: number;
  /** Scenes in the test split; default 0. */
  testScenes?: number;
  /** Frame width and height, pixels; default 64 (the published sets' size). */
  frameSize?: number;
  /** Scenes per TFRecord file; default 100. */
  scenesPerFile?: number;
  /** Dataset seed; the same seed gives the same bytes whatever the worker count. Default 0. */
  seed?: number;
  /** Worker threads; default the number of cores. 0 renders on the calling thread. */
  workers?: number;
  /** Anti-aliasing: samples per pixel along each axis; default 1 (none). */
  supersample?: number;
  /** JPEG quality of the stored frames, 1-100; default 90. */
  jpegQuality?: number;
  /**
   * Write per-view object masks beside the TFRecords (`masks/<split>/<i>-of-<n>.masks`, named in
   * dataset.json as `objectMasks`); default true. The TFRecords are the same bytes either way.
   */
  objectMasks?: boolean;
  /**
   * Replace a dataset that an earlier run wrote here with other settings. Default false: such a
   * directory is refused, naming the settings that differ, and nothing in it is touched.
   */
  overwrite?: boolean;
  /** Called after every finished scene and file. */
  onProgress?: (progress: SynthProgress) => void;
  /** Aborting stops the workers and removes every unfinished file; the promise then rejects with the reason. */
  signal?: AbortSignal;
  /**
   * The worker script (a URL or a file path). Default: `synth-worker.js` (or `.cjs`) of the built
   * package. Needed only where that is absent (tests bundle `src/synth-worker.ts` and pass the bundle).
   */
  workerUrl?: URL | string;
}

/** Progress of {@link writeSyntheticDataset}. */
export interface SynthProgress {
  /** Scenes written so far, including those of files kept complete from an earlier run. */
  scenesDone: number;
  /** Scenes of both splits. */
  scenesTotal: number;
  /** Files complete under their final names. */
  filesDone: number;
  /** Files of both splits. */
  filesTotal: number;
}

/**
 * The `dataset.json` written to `<out>/<name>/`: what @gqn/data's `readDatasetInfo` reads in place of
 * the published set's spec (frame size, views, file counts).
 */
export interface SyntheticDatasetInfo {
  /** Dataset name: the scene kind, also the directory name under `out`. */
  name: SceneKind;
  /** Frame width and height, pixels. */
  frameSize: number;
  /** Views (frames and cameras) per scene record. */
  views: number;
  /** Files in `train/`. */
  trainFiles: number;
  /** Files in `test/` (0 when there are no test scenes). */
  testFiles: number;
  /** Scenes in the train split. */
  trainScenes: number;
  /** Scenes in the test split. */
  testScenes: number;
  /** Always true: rendered, not downloaded. */
  synthetic: true;
  /** Dataset seed; scene `i` of a split was made with `sceneSeed(seed, split, i)`. */
  seed: number;
  /** Who wrote the files; a rerun replaces only files whose dataset.json says this. */
  generator: "@gqn/scenes";
  /** Scenes per file (the last file of a split may hold fewer). */
  scenesPerFile: number;
  /** Anti-aliasing samples per pixel along each axis. */
  supersample: number;
  /** JPEG quality of the stored frames. */
  jpegQuality: number;
  /** How the 5 stored camera floats are to be read. */
  cameraConventions: typeof CAMERA_CONVENTIONS;
  /** The renderer's field of view, degrees (square frames: vertical = horizontal). */
  fovDegrees: number;
  /**
   * `[near, far]`: distances along a camera ray, world units, between which every surface the
   * cameras see lies (from the scene config, rounded outwards to 0.001).
   */
  depthRange: [number, number];
  /** Where the object masks are, when they were written (@gqn/data's `ObjectMasks` reads them). */
  objectMasks?: ObjectMasksEntry;
}

/**
 * The optics of a scene kind's cameras as the generator sets them: the field of view of its config
 * (radians there, degrees here) and the depth range its config implies (`roomsDepthRange`,
 * `shepardMetzlerDepthRange` with the kind's parts, as `generateScene` makes them).
 */
export function syntheticCameraOptics(kind: SceneKind): { fovDegrees: number; depthRange: [number, number] } {
  const rooms = kind === "rooms_ring_camera";
  const fovY = rooms ? ROOMS_DEFAULTS.fovY : SHEPARD_METZLER_DEFAULTS.fovY;
  const [near, far] = rooms
    ? roomsDepthRange()
    : shepardMetzlerDepthRange({ parts: kind === "shepard_metzler_5_parts" ? 5 : 7 });
  return {
    // Rounded so that 60 degrees is written as 60, not 59.99999999999999.
    fovDegrees: Math.round(((fovY * 180) / Math.PI) * 1e9) / 1e9,
    depthRange: [Math.floor(near * 1000) / 1000, Math.ceil(far * 1000) / 1000],
  };
}

/** The folder, under the dataset's directory, of the object masks. */
const MASKS_DIR = "masks";

/** The most files a split may have (the largest published split has 2,160). */
const MAX_FILES_PER_SPLIT = 100_000;
const SHARD = /^\d+-of-\d+\.tfrecord$/;
const TEMPORARY = /\.tfrecord\.tmp/;
const MASKS = /^\d+-of-\d+\.masks$/;
const MASKS_TEMPORARY = /\.masks\.tmp/;

/** The resolved settings and the file tasks of a synthetic dataset, without writing anything. */
export function planSyntheticDataset(options: WriteSyntheticDatasetOptions): {
  info: SyntheticDatasetInfo;
  tasks: SynthFileTask[];
} {
  const where = "writeSyntheticDataset";
  const spec = getSceneKind(options.scene);
  const testScenes = options.testScenes ?? 0;
  const frameSize = options.frameSize ?? 64;
  const scenesPerFile = options.scenesPerFile ?? 100;
  const seed = options.seed ?? 0;
  const supersample = options.supersample ?? 1;
  const jpegQuality = options.jpegQuality ?? 90;
  const objectMasks = options.objectMasks ?? true;
  checkInteger(options.trainScenes, where, "trainScenes");
  checkInteger(testScenes, where, "testScenes", { min: 0 });
  checkInteger(frameSize, where, "frameSize", { min: 8, max: 1024 });
  checkInteger(scenesPerFile, where, "scenesPerFile");
  checkInteger(seed, where, "seed", { min: 0, max: 0xffffffff });
  checkInteger(supersample, where, "supersample", { max: 8 });
  checkInteger(jpegQuality, where, "jpegQuality", { max: 100 });
  const dir = join(options.out, spec.name);
  const tasks: SynthFileTask[] = [];
  const split = (name: Split, scenes: number): number => {
    const files = Math.ceil(scenes / scenesPerFile);
    // Checked before the plan is built: a task per file, so a billion files would fill the heap.
    if (files > MAX_FILES_PER_SPLIT) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: ${scenes} ${name} scenes at ${scenesPerFile} per file make ${files} files, more than ${MAX_FILES_PER_SPLIT}; raise scenesPerFile (--scenes-per-file) or render fewer scenes.`,
      );
    }
    for (let f = 0; f < files; f++) {
      const firstScene = f * scenesPerFile;
      const file = shardFileName(f + 1, files);
      tasks.push({
        kind: spec.name,
        split: name,
        path: join(dir, name, file),
        firstScene,
        sceneCount: Math.min(scenesPerFile, scenes - firstScene),
        seed,
        frameSize,
        supersample,
        jpegQuality,
        ...(objectMasks && { masksPath: join(dir, MASKS_DIR, name, objectMaskFileName(file)) }),
      });
    }
    return files;
  };
  const trainFiles = split("train", options.trainScenes);
  const testFiles = split("test", testScenes);
  return {
    info: {
      name: spec.name,
      frameSize,
      views: spec.views,
      trainFiles,
      testFiles,
      trainScenes: options.trainScenes,
      testScenes,
      synthetic: true,
      seed,
      generator: "@gqn/scenes",
      scenesPerFile,
      supersample,
      jpegQuality,
      cameraConventions: CAMERA_CONVENTIONS,
      ...syntheticCameraOptics(spec.name),
      ...(objectMasks && { objectMasks: { format: OBJECT_MASKS_FORMAT, dir: MASKS_DIR } }),
    },
    tasks,
  };
}

/**
 * Renders a synthetic dataset to `<out>/<scene>/<train|test>/<i>-of-<n>.tfrecord` (JPEG frames and
 * `cameras`, the gqn-datasets record format) plus `<out>/<scene>/dataset.json`, one file per task on a
 * pool of worker threads. Every file is written under a temporary name and renamed when complete, so
 * a crash or an abort never leaves a partial file under a final name; a rerun with the same settings
 * keeps the files already complete (they are deterministic) and renders the rest. A dataset an
 * earlier run wrote with other settings is refused, naming them, unless `overwrite` replaces it; a
 * directory holding TFRecords that @gqn/scenes did not write is refused.
 */
export async function writeSyntheticDataset(
  options: WriteSyntheticDatasetOptions,
): Promise<SyntheticDatasetInfo> {
  const { info, tasks } = planSyntheticDataset(options);
  const requestedWorkers = checkInteger(
    options.workers ?? availableParallelism(),
    "writeSyntheticDataset",
    "workers",
    {
      min: 0,
    },
  );
  // Found before anything is written, so a missing worker script fails cleanly.
  const workerUrl = requestedWorkers > 0 ? resolveWorkerUrl(options.workerUrl) : undefined;
  const dir = join(options.out, info.name);
  const infoPath = join(dir, "dataset.json");
  options.signal?.throwIfAborted();

  const previous = await readPreviousInfo(infoPath);
  const sameSettings = previous !== undefined && JSON.stringify(previous) === JSON.stringify(info);
  try {
    const planned = new Set(
      tasks.flatMap((task) => [task.path, ...(task.masksPath ? [task.masksPath] : [])]),
    );
    if (previous !== undefined && !sameSettings && !options.overwrite && (await holdsData(dir))) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `writeSyntheticDataset: ${dir} holds a dataset written with other settings (${settingsDiffer(previous, info)}); replacing it needs overwrite (gqn-synth and the main job: --overwrite), or choose another out directory.`,
      );
    }
    await prepareDirectory(dir, previous, sameSettings, planned);
    // Written first (so the files are never taken for a published set) and again at the end.
    await writeJsonAtomic(infoPath, info);
  } catch (error) {
    if (error instanceof GqnError) throw error;
    throw new GqnError(
      "IO_ERROR",
      `writeSyntheticDataset: cannot prepare ${dir}: ${(error as Error).message}.`,
      { cause: error },
    );
  }

  const done = (task: SynthFileTask) =>
    existsSync(task.path) && (task.masksPath === undefined || existsSync(task.masksPath));
  const todo = tasks.filter((task) => !(sameSettings && done(task)));
  const scenesTotal = info.trainScenes + info.testScenes;
  const progress: SynthProgress = {
    scenesDone: scenesTotal - todo.reduce((sum, task) => sum + task.sceneCount, 0),
    scenesTotal,
    filesDone: tasks.length - todo.length,
    filesTotal: tasks.length,
  };
  const report = (): void => options.onProgress?.({ ...progress });
  report();
  const onScene = (): void => {
    progress.scenesDone++;
    report();
  };
  const onFile = (): void => {
    progress.filesDone++;
    report();
  };

  const workers = Math.min(requestedWorkers, todo.length);
  try {
    if (workers <= 0 || workerUrl === undefined) {
      for (const task of todo) {
        await runSynthFileTask(task, onScene, () => options.signal?.aborted === true);
        onFile();
      }
    } else {
      await runInWorkers(todo, workers, workerUrl, onScene, onFile, options.signal);
    }
  } catch (error) {
    await removeTemporaries(todo);
    if (error instanceof SynthStopped || options.signal?.aborted) throw options.signal?.reason ?? error;
    throw error;
  }
  await writeJsonAtomic(infoPath, info);
  return info;
}

/**
 * Creates the split directories and clears them of leftovers: temporary files of interrupted runs,
 * and shards that this run will not keep (other settings, or no longer planned). Refuses shards that
 * another writer made.
 */
async function prepareDirectory(
  dir: string,
  previous: Record<string, unknown> | undefined,
  sameSettings: boolean,
  planned: ReadonlySet<string>,
): Promise<void> {
  for (const split of ["train", "test"]) {
    const splitDir = join(dir, split);
    await mkdir(splitDir, { recursive: true });
    for (const name of await readdir(splitDir)) {
      const path = join(splitDir, name);
      if (TEMPORARY.test(name)) {
        await rm(path, { force: true });
      } else if (SHARD.test(name)) {
        if (previous?.generator !== "@gqn/scenes") {
          throw new GqnError(
            "INVALID_ARGUMENT",
            `writeSyntheticDataset: ${splitDir} holds TFRecord files that @gqn/scenes did not write (no dataset.json of ours); choose another out directory.`,
          );
        }
        if (!planned.has(path) || !sameSettings) await rm(path, { force: true });
      }
    }
    // Mask files: only ever ours (they sit in our folder), kept on the same terms as the shards.
    const masksDir = join(dir, MASKS_DIR, split);
    let names: string[] = [];
    try {
      names = await readdir(masksDir);
    } catch {}
    for (const name of names) {
      const path = join(masksDir, name);
      if (MASKS_TEMPORARY.test(name) || (MASKS.test(name) && (!planned.has(path) || !sameSettings))) {
        await rm(path, { force: true });
      }
    }
    if ([...planned].some((path) => dirname(path) === masksDir)) await mkdir(masksDir, { recursive: true });
  }
}

/** Whether a dataset directory holds any shard or masks file under its final name. */
async function holdsData(dir: string): Promise<boolean> {
  for (const sub of ["train", "test", join(MASKS_DIR, "train"), join(MASKS_DIR, "test")]) {
    let names: string[] = [];
    try {
      names = await readdir(join(dir, sub));
    } catch {}
    if (names.some((name) => SHARD.test(name) || MASKS.test(name))) return true;
  }
  return false;
}

/** The settings of two dataset.json files that differ: `seed 0 here, 1 asked`, ... */
function settingsDiffer(previous: Record<string, unknown>, info: SyntheticDatasetInfo): string {
  const asked = info as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(previous), ...Object.keys(asked)])];
  const differ = keys.filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(asked[key]));
  const text = (value: unknown) => (value === undefined ? "none" : JSON.stringify(value));
  return differ.map((key) => `${key} ${text(previous[key])} here, ${text(asked[key])} asked`).join("; ");
}

async function readPreviousInfo(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  // A fresh temp file (a link at its name is removed, not followed), then renamed over the old.
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Removes what unfinished tasks may have left under temporary names (a terminated worker cannot). */
async function removeTemporaries(tasks: readonly SynthFileTask[]): Promise<void> {
  const dirs = new Map<string, Set<string>>();
  for (const task of tasks) {
    const dir = dirname(task.path);
    if (!dirs.has(dir)) dirs.set(dir, new Set());
    dirs.get(dir)!.add(basename(task.path));
  }
  for (const [dir, names] of dirs) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const stem = entry.split(".tmp")[0]!;
      if (entry.includes(".tmp") && names.has(stem)) await unlink(join(dir, entry)).catch(() => {});
    }
  }
}

/**
 * The worker script: `workerUrl` when given (a URL, or a file path), else the built
 * `synth-worker.js` (`findBuiltModule`). A clear error instead of a worker that fails to start.
 */
function resolveWorkerUrl(workerUrl: URL | string | undefined): URL {
  const where = "writeSyntheticDataset";
  const candidates: URL[] = [];
  if (workerUrl !== undefined) {
    candidates.push(
      workerUrl instanceof URL
        ? workerUrl
        : /^file:/.test(workerUrl)
          ? new URL(workerUrl)
          : pathToFileURL(resolve(workerUrl)),
    );
  } else {
    const built = findBuiltModule({
      file: "synth-worker.js",
      callerUrl: import.meta.url,
      packageName: "@gqn/scenes",
    });
    if (built.url) return built.url;
    candidates.push(...built.looked.map((path) => pathToFileURL(path)));
  }
  const found = candidates.find((url) => url.protocol !== "file:" || existsSync(fileURLToPath(url)));
  if (found) return found;
  throw new GqnError(
    "UNSUPPORTED",
    `${where}: cannot find the worker script (looked for ${candidates.map((url) => fileURLToPath(url)).join(", ")}); build @gqn/scenes (\`pnpm build\`), pass workerUrl, or pass workers: 0 to render on the calling thread.`,
  );
}

/** Runs `tasks` on `count` worker threads, one file per task, a new task to whichever worker is free. */
function runInWorkers(
  tasks: readonly SynthFileTask[],
  count: number,
  url: URL,
  onScene: () => void,
  onFile: () => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const pool: Worker[] = [];
    let next = 0;
    let running = 0;
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      Promise.all(pool.map((worker) => worker.terminate())).then(
        () => (error === undefined ? resolve() : reject(error)),
        () => (error === undefined ? resolve() : reject(error)),
      );
    };
    const onAbort = (): void => finish(signal?.reason ?? new SynthStopped());
    signal?.addEventListener("abort", onAbort, { once: true });
    const feed = (worker: Worker): void => {
      const task = tasks[next++];
      if (task === undefined) {
        if (running === 0) finish();
        return;
      }
      running++;
      worker.postMessage(task);
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(url);
      pool.push(worker);
      worker.on("message", (message: SynthWorkerMessage) => {
        if (settled) return;
        if (message.type === "scene") {
          onScene();
        } else if (message.type === "done") {
          running--;
          onFile();
          feed(worker);
        } else {
          const error =
            message.code !== undefined
              ? new GqnError(message.code as GqnError["code"], message.message)
              : new GqnError(
                  "IO_ERROR",
                  `writeSyntheticDataset: writing ${message.path} failed: ${message.message}`,
                );
          if (message.stack) error.stack = message.stack;
          finish(error);
        }
      });
      worker.on("error", (error) => finish(error));
      worker.on("exit", (code) => {
        if (!settled && code !== 0) {
          finish(new GqnError("IO_ERROR", `writeSyntheticDataset: a worker exited with code ${code}.`));
        }
      });
    }
    for (const worker of pool) feed(worker);
  });
}
