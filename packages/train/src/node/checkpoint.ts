import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { checkInteger, GqnError } from "@gqn/core";
import { processAlive, syncDir, writeFileAtomic, writeFileSynced } from "@gqn/core/node";
import { layersModelFiles } from "@gqn/model/node";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { BETA1_POWER, BETA2_POWER, type NamedTensor } from "../adam-state.js";

/** The folder of a model dir that holds its checkpoints. */
const CHECKPOINTS_DIR = "checkpoints";
/** Checkpoint directories are `ckpt-<step>`; nothing else in the checkpoints folder matches this. */
const CKPT_PATTERN = /^ckpt-(\d+)$/;
/** Leftovers of an interrupted save (`.tmp-<pid>`) or prune (`.del-<pid>`). */
const STALE_PATTERN = /\.(tmp|del)-(\d+)$/;
/** The pointer file naming the newest complete checkpoint directory. */
const LATEST_FILE = "latest";
const STATE_FILE = "state.json";
const OPTIMIZER_JSON = "optimizer.json";
const OPTIMIZER_BIN = "optimizer.bin";
/** SHA-256 of every other file of the checkpoint, written last; checked on load. */
const CHECKSUMS_FILE = "checksums.json";
/** The evaluation made after the save (the save comes first, so it is not in state.json). */
const EVALUATION_FILE = "evaluation.json";

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** The run's directory; checkpoints go to `<modelDir>/checkpoints/ckpt-<step>`. */
  modelDir: string;
  /** The training step the weights are at (the number of updates applied). */
  step: number;
  /** The model to save in the tfjs LayersModel format (`model.json` + `weights.bin`). */
  model: tfl.LayersModel;
  /**
   * The optimizer's state, saved beside the model (borrowed): a trainer's `getOptimizerState()`
   * (Adam's iteration count, both moments and the running beta powers).
   */
  optimizerState?: readonly NamedTensor[];
  /** JSON run state (config, schedules, RNG and data state...); `step` is added. */
  state: Record<string, unknown>;
  /** How many checkpoints to keep, newest first; default 3. */
  keep?: number;
}

/** A checkpoint read back by {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The checkpoint directory. */
  path: string;
  step: number;
  /** The restored model (the caller disposes it). */
  model: tfl.LayersModel;
  /** The run state saved with it, `step` included. */
  state: Record<string, unknown> & { step: number };
  /**
   * The optimizer's state as it was saved, for a trainer's `setOptimizerState` (the caller
   * disposes the tensors). Older checkpoints kept Adam's powers in `optimizer.json` (`adamPowers`):
   * they come back as the same two named entries.
   */
  optimizerState?: NamedTensor[];
}

/**
 * Saves a checkpoint atomically under `<modelDir>/checkpoints/`: every file goes into
 * `ckpt-<step>.tmp-<pid>` and is flushed; the `latest` pointer is replaced (temp file + rename)
 * to name `ckpt-<step>`; the directory is renamed to `ckpt-<step>`; then checkpoints beyond the
 * newest `keep` are removed. A process killed at any moment leaves either the previous
 * checkpoint or the new one complete, and `latest` naming it ({@link latestCheckpoint} passes
 * over a pointer to a directory that is not there yet), never a half-written one under a
 * checkpoint name.
 *
 * @throws GqnError `CHECKPOINT_ERROR` when `ckpt-<step>` exists already: a checkpoint is never
 *   overwritten or silently kept.
 * @returns the checkpoint directory.
 */
export async function saveCheckpoint(options: SaveCheckpointOptions): Promise<string> {
  const { step } = options;
  const root = checkpointsDir(options.modelDir);
  checkInteger(step, "saveCheckpoint", "step", { min: 0 });
  const keep = checkInteger(options.keep ?? 3, "saveCheckpoint", "keep");
  const name = `ckpt-${step}`;
  const final = join(root, name);
  if (await exists(final)) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `saveCheckpoint: ${final} exists already, and a checkpoint is never overwritten: resume from it, or move it away first.`,
    );
  }
  await mkdir(root, { recursive: true });
  const tmp = join(root, `${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    await writeCheckpointFiles(tmp, options);
    await syncDir(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `saveCheckpoint: could not write ${final}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // The pointer first: until the rename it names a directory that is not there, and readers
  // take the newest one listed, which is then the previous checkpoint.
  const pointer = join(root, LATEST_FILE);
  const pointerTmp = `${pointer}.tmp-${process.pid}`;
  try {
    await writeFileSynced(pointerTmp, `${name}\n`);
    await rename(pointerTmp, pointer);
    await rename(tmp, final);
    await syncDir(root);
  } catch (error) {
    // The pointer may name the new checkpoint already: readers pass over a pointer to a directory
    // that is not there, so the previous checkpoint stays the newest.
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    await rm(pointerTmp, { force: true }).catch(() => {});
    const errno = (error as NodeJS.ErrnoException).code;
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `saveCheckpoint: could not put ${final} in place (${errno ?? "error"}: ${(error as Error).message}); the newest complete checkpoint is still the previous one. ${errno === "EXDEV" ? "The checkpoints folder must be on one file system (a checkpoints link onto another disk breaks the atomic rename)." : "Check the disk under the model dir (space, errors), then resume."}`,
      { cause: error },
    );
  }
  await pruneCheckpoints(root, keep);
  return final;
}

async function writeCheckpointFiles(dir: string, options: SaveCheckpointOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  await options.model.save(layersModelFiles(dir, { sync: true }));
  if (options.optimizerState) {
    const { data, specs } = await tf.io.encodeWeights([...options.optimizerState]);
    await writeFileSynced(join(dir, OPTIMIZER_BIN), new Uint8Array(data));
    await writeFileSynced(join(dir, OPTIMIZER_JSON), JSON.stringify({ weights: specs }));
  }
  await writeFileSynced(
    join(dir, STATE_FILE),
    JSON.stringify({ ...options.state, step: options.step }, null, 2),
  );
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[name] = sha256(await readFile(join(dir, name)));
  await writeFileSynced(join(dir, CHECKSUMS_FILE), JSON.stringify({ algorithm: "sha256", files }, null, 2));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Checks the files of a checkpoint against its `checksums.json` (checkpoints of earlier versions
 * have none and are taken as they are).
 */
async function verifyChecksums(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKSUMS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const path = join(dir, CHECKSUMS_FILE);
  let files: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as { algorithm?: unknown; files?: unknown };
    if (parsed.algorithm !== "sha256" || typeof parsed.files !== "object" || parsed.files === null)
      throw new Error('not { algorithm: "sha256", files }');
    files = parsed.files as Record<string, unknown>;
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${path} cannot be read: ${(error as Error).message}.`,
    );
  }
  for (const [name, expected] of Object.entries(files)) {
    if (name.includes("/") || name.includes("\\") || name === ".." || name === ".") {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${path} names "${name}", which is not a file of ${dir}.`,
      );
    }
    let actual: string;
    try {
      actual = sha256(await readFile(join(dir, name)));
    } catch (error) {
      // Lost optimizer files are the resume's to refuse (or accept with a fresh Adam), by name.
      const optimizer = name === OPTIMIZER_JSON || name === OPTIMIZER_BIN;
      if (optimizer && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${join(dir, name)} is listed in ${CHECKSUMS_FILE} but cannot be read: ${(error as Error).message}`,
      );
    }
    if (actual !== expected) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${join(dir, name)} does not match its checksum in ${CHECKSUMS_FILE}: it changed after the save (a damaged disk, a copy cut short, an edit).`,
      );
    }
  }
}

/**
 * Records the evaluation made after `checkpoint` was saved, in its `evaluation.json` (beside the
 * checksummed files, which stay as saved), so a resumed run knows the step was evaluated:
 * {@link loadCheckpoint} returns it as the state's `lastEval`.
 */
export async function recordCheckpointEval(checkpoint: string, lastEval: object): Promise<void> {
  await writeFileAtomic(join(checkpoint, EVALUATION_FILE), JSON.stringify(lastEval, null, 2));
}

/** The evaluation recorded after the save of a checkpoint at `step`, if any is readable. */
async function recordedEval(dir: string, step: number): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, EVALUATION_FILE), "utf8")) as Record<string, unknown>;
    return parsed.step === step ? parsed : undefined;
  } catch {
    return undefined; // none, or unreadable: the step is evaluated again when needed
  }
}

/** `<modelDir>/checkpoints`, where {@link saveCheckpoint} puts a run's checkpoints. */
export function checkpointsDir(modelDir: string): string {
  return join(modelDir, CHECKPOINTS_DIR);
}

/** The complete checkpoints of a model dir, oldest first (none when there is no such dir). */
export async function listCheckpoints(modelDir: string): Promise<{ step: number; path: string }[]> {
  return listIn(checkpointsDir(modelDir));
}

async function listIn(root: string): Promise<{ step: number; path: string }[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  return entries
    .map((entry) => ({ entry, match: CKPT_PATTERN.exec(entry) }))
    .filter((e): e is { entry: string; match: RegExpExecArray } => e.match !== null)
    .map(({ entry, match }) => ({ step: Number(match[1]), path: join(root, entry) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * The newest complete checkpoint directory of a model dir: the one `checkpoints/latest` names,
 * else (pointer missing or stale) the highest `ckpt-<step>`. Undefined when there is none.
 */
export async function latestCheckpoint(modelDir: string): Promise<string | undefined> {
  return latestIn(checkpointsDir(modelDir));
}

async function latestIn(root: string): Promise<string | undefined> {
  try {
    const name = (await readFile(join(root, LATEST_FILE), "utf8")).trim();
    if (CKPT_PATTERN.test(name) && (await exists(join(root, name, STATE_FILE)))) return join(root, name);
  } catch {
    // No pointer yet: fall back to listing.
  }
  return (await listIn(root)).at(-1)?.path;
}

/**
 * The checkpoint a resumed run continues from: the one `checkpoints/latest` names, else the
 * newest listed; when it cannot be loaded, the next older intact one. Checkpoints newer than the
 * one used (damaged ones, or those beyond a `latest` rolled back by hand) are renamed out of the
 * checkpoint names (`ckpt-<step>.aside-<time>`), so that the run's saves and pruning never meet
 * another history; `say` gets a line naming each and the one used. Undefined when there is no
 * checkpoint.
 *
 * @throws GqnError `CHECKPOINT_ERROR` when checkpoints exist but none can be loaded, naming each.
 */
export async function loadResumeCheckpoint(
  modelDir: string,
  say: (line: string) => void,
): Promise<LoadedCheckpoint | undefined> {
  const root = checkpointsDir(modelDir);
  const all = await listIn(root);
  if (all.length === 0) return undefined;
  const named = await pointerTarget(root);
  const start = named ? all.findIndex((c) => c.path === named) : all.length - 1;
  const damaged: string[] = [];
  let loaded: LoadedCheckpoint | undefined;
  for (const candidate of all.slice(0, start + 1).reverse()) {
    try {
      loaded = await loadResumable(candidate.path);
      break;
    } catch (error) {
      damaged.push(`${basename(candidate.path)} (${(error as Error).message.replace(/\.$/, "")})`);
    }
  }
  if (!loaded) {
    // `latest` rolled back by hand to a damaged one: the newer ones were not tried, and may be good.
    const newer = all.slice(start + 1).map((c) => basename(c.path));
    const wayOn =
      newer.length > 0
        ? `${join(root, LATEST_FILE)} names ${basename(all[start]!.path)}, and newer checkpoints were not tried: write one's name (${newer.join(", ")}) into it to resume from there`
        : "Move them aside to start a new run, or choose another model dir";
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `train: no checkpoint in ${root} up to the one to resume from can be loaded: ${damaged.join("; ")}. ${wayOn}.`,
    );
  }
  const used = loaded;
  const newer = all.filter((c) => c.step > used.step);
  if (newer.length === 0) return loaded;
  const stamp = Date.now();
  const moved: string[] = [];
  for (const c of newer) {
    const aside = `${c.path}.aside-${stamp}`;
    await rename(c.path, aside);
    moved.push(basename(aside));
  }
  await syncDir(root);
  const why =
    damaged.length > 0
      ? `the newer checkpoint cannot be loaded: ${damaged.join("; ")}`
      : `${LATEST_FILE} names it, though newer checkpoints exist`;
  say(
    `[gqn] resuming from ${basename(loaded.path)}, the newest intact checkpoint (${why}); moved aside, not deleted: ${moved.join(", ")}.`,
  );
  return loaded;
}

/** A checkpoint to train on from: loaded, and refused when a weight is not finite. */
async function loadResumable(dir: string): Promise<LoadedCheckpoint> {
  const loaded = await loadCheckpointDir(dir);
  const nonFinite = await nonFiniteWeight(loaded.model);
  if (nonFinite !== undefined) {
    loaded.model.dispose();
    tf.dispose(loaded.optimizerState?.map((w) => w.tensor) ?? []);
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${join(dir, "weights.bin")} holds non-finite values (in ${nonFinite}): the weights are damaged`,
    );
  }
  return loaded;
}

/**
 * `latest` must be the pointer file (or absent): a directory or link there would make every save's
 * rename of the pointer fail after its checkpoint was written, so a run refuses to open instead.
 */
async function checkPointerFile(root: string): Promise<void> {
  const pointer = join(root, LATEST_FILE);
  let kind: string | undefined;
  try {
    const stats = await lstat(pointer);
    if (!stats.isFile())
      kind = stats.isDirectory() ? "a directory" : stats.isSymbolicLink() ? "a link" : "not a file";
  } catch {
    return; // absent: the first save writes it
  }
  if (kind) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `train: ${pointer} is ${kind}, but it must be the file naming the newest checkpoint (ckpt-<step>): move it away (the checkpoints are listed without it) and start again.`,
    );
  }
}

/** The existing checkpoint directory `latest` names, if any. */
async function pointerTarget(root: string): Promise<string | undefined> {
  try {
    const name = (await readFile(join(root, LATEST_FILE), "utf8")).trim();
    if (CKPT_PATTERN.test(name) && (await exists(join(root, name)))) return join(root, name);
  } catch {
    // No pointer.
  }
  return undefined;
}

/**
 * Removes leftovers of saves or prunes interrupted by a crash (`*.tmp-<pid>`, `*.del-<pid>`) whose
 * process is gone. Call it once when a run opens its model dir.
 *
 * @returns the names removed.
 */
export async function removeStaleCheckpointFiles(modelDir: string): Promise<string[]> {
  const root = checkpointsDir(modelDir);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = STALE_PATTERN.exec(entry);
    if (!match) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && processAlive(pid)) continue;
    await rm(join(root, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const all = await listIn(root);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    // Renamed out of the checkpoint namespace first, so a crash mid-removal leaves no partial ckpt-N.
    const doomed = `${old.path}.del-${process.pid}`;
    await rename(old.path, doomed);
    await rm(doomed, { recursive: true, force: true });
  }
}

/**
 * Finds the checkpoint directory `path` names: a `ckpt-<step>` directory itself, a model dir
 * (its newest checkpoint), or its `checkpoints` folder. Undefined when there is none.
 */
export async function resolveCheckpoint(path: string): Promise<string | undefined> {
  if (await exists(join(path, STATE_FILE))) return path;
  return (await latestCheckpoint(path)) ?? (await latestIn(path));
}

/**
 * Reads a checkpoint: a `ckpt-<step>` directory, or a model dir (its newest checkpoint). The
 * model is rebuilt with `tfl.loadLayersModel`, so the packages defining its layers must be
 * imported first.
 *
 * @throws GqnError `CHECKPOINT_ERROR` when there is no checkpoint or it cannot be read.
 */
export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const dir = await resolveCheckpoint(path);
  if (!dir) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: no checkpoint in ${path} (expected ${join(path, CHECKPOINTS_DIR, "ckpt-<step>")} or a checkpoint directory).`,
    );
  }
  if (dir === path) return loadCheckpointDir(dir);
  try {
    return await loadCheckpointDir(dir);
  } catch (error) {
    // Given a model dir whose newest checkpoint is damaged: name an older one that can be used.
    const older = (await listIn(dirname(dir))).filter((c) => c.path !== dir).reverse();
    for (const c of older) {
      if (await looksIntact(c.path)) {
        throw new GqnError(
          "CHECKPOINT_ERROR",
          `${(error as Error).message.replace(/\.?$/, ".")} The newest intact checkpoint is ${c.path}: pass that directory instead of ${path} to use it (gqn-train --resume moves the damaged one aside and continues from it).`,
          { cause: error },
        );
      }
    }
    throw error;
  }
}

/** Whether a checkpoint directory has a readable state and a model file (without loading it). */
async function looksIntact(dir: string): Promise<boolean> {
  try {
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), "utf8")) as { step?: unknown };
    return Number.isInteger(state.step) && (await exists(join(dir, "model.json")));
  } catch {
    return false;
  }
}

async function loadCheckpointDir(dir: string): Promise<LoadedCheckpoint> {
  await verifyChecksums(dir);
  let state: LoadedCheckpoint["state"];
  try {
    state = JSON.parse(await readFile(join(dir, STATE_FILE), "utf8"));
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: cannot read ${join(dir, STATE_FILE)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!Number.isSafeInteger(state?.step) || state.step < 0) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${join(dir, STATE_FILE)} must hold a non-negative integer step, but got ${JSON.stringify(state?.step)}.`,
    );
  }
  // A checkpoint's name is its step: a state of another step is another run's, or edited.
  const named = CKPT_PATTERN.exec(basename(dir));
  if (named && Number(named[1]) !== state.step) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${join(dir, STATE_FILE)} says step ${state.step}, but the directory is ${basename(dir)}: the two must agree.`,
    );
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(layersModelFiles(dir));
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: cannot load the model in ${dir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const evaluation = await recordedEval(dir, state.step);
  if (evaluation) state.lastEval = evaluation;
  const loaded: LoadedCheckpoint = { path: dir, step: state.step, model, state };
  if (await exists(join(dir, OPTIMIZER_JSON))) {
    try {
      const meta = JSON.parse(await readFile(join(dir, OPTIMIZER_JSON), "utf8")) as {
        weights: tf.io.WeightsManifestEntry[];
        /** Where older checkpoints kept Adam's running powers. */
        adamPowers?: [number, number];
      };
      const bytes = await readFile(join(dir, OPTIMIZER_BIN));
      const decoded = tf.io.decodeWeights(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        meta.weights,
      );
      loaded.optimizerState = meta.weights.map((spec) => ({
        name: spec.name,
        tensor: decoded[spec.name] as tf.Tensor,
      }));
      if (meta.adamPowers) {
        loaded.optimizerState.push(
          { name: BETA1_POWER, tensor: tf.scalar(meta.adamPowers[0]) },
          { name: BETA2_POWER, tensor: tf.scalar(meta.adamPowers[1]) },
        );
      }
    } catch (error) {
      model.dispose();
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: cannot read the optimizer state in ${dir}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return loaded;
}

/**
 * The name of the first weight of `model` holding a NaN or an infinity, if any. Async: a GPU
 * backend such as WebGPU has no synchronous read in Node.
 */
export async function nonFiniteWeight(model: tfl.LayersModel): Promise<string | undefined> {
  for (const weight of model.weights) {
    const values = await weight.read().data();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return weight.originalName;
    }
  }
  return undefined;
}

/** What {@link readRunCheckpoint} found in a run directory. */
export interface RunCheckpoint {
  /** The newest complete checkpoint directory, when there is one. */
  path?: string;
  /** That checkpoint, read (the caller disposes its model and optimizer tensors), when asked to load. */
  loaded?: LoadedCheckpoint;
}

/**
 * What a run opening `modelDir` needs of its checkpoints, in one call: the leftovers of
 * interrupted saves are removed ({@link removeStaleCheckpointFiles}), the newest complete
 * checkpoint is found and, with `load`, the newest intact one is read ({@link loadResumeCheckpoint}).
 */
export async function readRunCheckpoint(
  modelDir: string,
  options: { load: boolean; say?: (line: string) => void },
): Promise<RunCheckpoint> {
  await checkPointerFile(checkpointsDir(modelDir));
  await removeStaleCheckpointFiles(modelDir);
  const path = await latestCheckpoint(modelDir);
  if (!path) return {};
  if (!options.load) return { path };
  // The newest intact one: a damaged newer checkpoint is moved aside with a line (`say`).
  const loaded = (await loadResumeCheckpoint(modelDir, options.say ?? (() => {}))) as LoadedCheckpoint;
  return { path: loaded.path, loaded };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
