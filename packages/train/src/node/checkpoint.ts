// Writing a run's checkpoints (atomically, checksummed, the last K kept) and finding the one a
// resumed run continues from, with its optimizer state. The layout, and reading a checkpoint's
// model and state, are @gqn/eval's: scoring and rendering read what training writes.
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { checkInteger, GqnError } from "@gqn/core";
import { processAlive, syncDir, writeFileAtomic, writeFileSynced } from "@gqn/core/node";
import {
  CHECKPOINT_FILES,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
} from "@gqn/eval/node";
import { layersModelFiles } from "@gqn/model/node";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { BETA1_POWER, BETA2_POWER, type NamedTensor } from "../adam-state.js";

const F = CHECKPOINT_FILES;
/** Leftovers of an interrupted save (`.tmp-<pid>`) or prune (`.del-<pid>`). */
const STALE_PATTERN = /\.(tmp|del)-(\d+)$/;

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

/** A checkpoint with the optimizer's state saved beside its model: what a resumed run reads. */
export interface TrainingCheckpoint extends LoadedCheckpoint {
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
  const name = `${F.prefix}${step}`;
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
  const pointer = join(root, F.latest);
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
  await pruneCheckpoints(options.modelDir, keep);
  return final;
}

async function writeCheckpointFiles(dir: string, options: SaveCheckpointOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  await options.model.save(layersModelFiles(dir, { sync: true }));
  if (options.optimizerState) {
    const { data, specs } = await tf.io.encodeWeights([...options.optimizerState]);
    await writeFileSynced(join(dir, F.optimizerWeights), new Uint8Array(data));
    await writeFileSynced(join(dir, F.optimizer), JSON.stringify({ weights: specs }));
  }
  await writeFileSynced(
    join(dir, F.state),
    JSON.stringify({ ...options.state, step: options.step }, null, 2),
  );
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[name] = sha256(await readFile(join(dir, name)));
  await writeFileSynced(join(dir, F.checksums), JSON.stringify({ algorithm: "sha256", files }, null, 2));
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Records the evaluation made after `checkpoint` was saved, in its `evaluation.json` (beside the
 * checksummed files, which stay as saved), so a resumed run knows the step was evaluated:
 * {@link loadCheckpoint} returns it as the state's `lastEval`.
 */
export async function recordCheckpointEval(checkpoint: string, lastEval: object): Promise<void> {
  await writeFileAtomic(join(checkpoint, F.evaluation), JSON.stringify(lastEval, null, 2));
}

/** `<modelDir>/checkpoints`, where {@link saveCheckpoint} puts a run's checkpoints. */
function checkpointsDir(modelDir: string): string {
  return join(modelDir, F.folder);
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
): Promise<TrainingCheckpoint | undefined> {
  const root = checkpointsDir(modelDir);
  const all = await listCheckpoints(modelDir);
  if (all.length === 0) return undefined;
  // The one `latest` names, when it names one of them; else the newest.
  const named = await readFile(join(root, F.latest), "utf8").then(
    (text) => all.findIndex((c) => basename(c.path) === text.trim()),
    () => -1,
  );
  const start = named >= 0 ? named : all.length - 1;
  const damaged: string[] = [];
  let loaded: TrainingCheckpoint | undefined;
  for (const candidate of all.slice(0, start + 1).reverse()) {
    try {
      loaded = await loadTrainingCheckpoint(candidate.path);
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
        ? `${join(root, F.latest)} names ${basename(all[start]!.path)}, and newer checkpoints were not tried: write one's name (${newer.join(", ")}) into it to resume from there`
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
      : `${F.latest} names it, though newer checkpoints exist`;
  say(
    `[gqn] resuming from ${basename(loaded.path)}, the newest intact checkpoint (${why}); moved aside, not deleted: ${moved.join(", ")}.`,
  );
  return loaded;
}

/**
 * A checkpoint and its optimizer state, the model refused when a weight is not finite: what a run
 * continues from.
 */
export async function loadTrainingCheckpoint(dir: string): Promise<TrainingCheckpoint> {
  const loaded: TrainingCheckpoint = await loadCheckpoint(dir, { requireFinite: true });
  try {
    const optimizerState = await readOptimizerState(loaded.path);
    if (optimizerState) loaded.optimizerState = optimizerState;
    return loaded;
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}

/** The optimizer state saved in a checkpoint directory; undefined when it has none. */
async function readOptimizerState(dir: string): Promise<NamedTensor[] | undefined> {
  if (!(await exists(join(dir, F.optimizer)))) return undefined;
  try {
    const meta = JSON.parse(await readFile(join(dir, F.optimizer), "utf8")) as {
      weights: tf.io.WeightsManifestEntry[];
      /** Where older checkpoints kept Adam's running powers. */
      adamPowers?: [number, number];
    };
    const bytes = await readFile(join(dir, F.optimizerWeights));
    const decoded = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      meta.weights,
    );
    const state = meta.weights.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] as tf.Tensor }));
    if (meta.adamPowers) {
      state.push(
        { name: BETA1_POWER, tensor: tf.scalar(meta.adamPowers[0]) },
        { name: BETA2_POWER, tensor: tf.scalar(meta.adamPowers[1]) },
      );
    }
    return state;
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadTrainingCheckpoint: cannot read the optimizer state in ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * `latest` must be the pointer file (or absent): a directory or link there would make every save's
 * rename of the pointer fail after its checkpoint was written, so a run refuses to open instead.
 */
async function checkPointerFile(root: string): Promise<void> {
  const pointer = join(root, F.latest);
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

async function pruneCheckpoints(modelDir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(modelDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    // Renamed out of the checkpoint namespace first, so a crash mid-removal leaves no partial ckpt-N.
    const doomed = `${old.path}.del-${process.pid}`;
    await rename(old.path, doomed);
    await rm(doomed, { recursive: true, force: true });
  }
}

/** What {@link readRunCheckpoint} found in a run directory. */
export interface RunCheckpoint {
  /** The newest complete checkpoint directory, when there is one. */
  path?: string;
  /** That checkpoint, read (the caller disposes its model and optimizer tensors), when asked to load. */
  loaded?: TrainingCheckpoint;
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
  if (!options.load) {
    const path = await latestCheckpoint(modelDir);
    return path ? { path } : {};
  }
  // The newest intact one: a damaged newer checkpoint is moved aside with a line (`say`).
  const loaded = await loadResumeCheckpoint(modelDir, options.say ?? (() => {}));
  return loaded ? { path: loaded.path, loaded } : {};
}

/** Whether anything is at `path`. */
function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
