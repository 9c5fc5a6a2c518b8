// Reading a run's checkpoints: where they are, which is the newest, and one of them loaded with
// its files checked. @gqn/train writes them (atomically, checksummed) and reads them through here,
// so the layout below is the one both sides use.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { GqnError } from "@gqn/core";
import { layersModelFiles } from "@gqn/model/node";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * The files of a run's checkpoints. A model dir holds them in `checkpoints/`: one directory per
 * checkpoint, `ckpt-<step>`, and `latest`, a file naming the newest complete one. A checkpoint
 * directory holds the model (`model.json`, `weights.bin`), `state.json` (the run state, its step
 * included), the optimizer's state when saved (`optimizer.json`, `optimizer.bin`), `checksums.json`
 * (SHA-256 of every other file, written last) and `evaluation.json` (the evaluation made after the
 * save, written later and not checksummed).
 */
export const CHECKPOINT_FILES = Object.freeze({
  folder: "checkpoints",
  latest: "latest",
  /** A checkpoint directory is this prefix and its step. */
  prefix: "ckpt-",
  state: "state.json",
  optimizer: "optimizer.json",
  optimizerWeights: "optimizer.bin",
  checksums: "checksums.json",
  evaluation: "evaluation.json",
});

const F = CHECKPOINT_FILES;
/** Checkpoint directories are `ckpt-<step>`; nothing else in the checkpoints folder matches this. */
const CKPT_PATTERN = new RegExp(`^${F.prefix}(\\d+)$`);

/** A checkpoint read back by {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The checkpoint directory. */
  path: string;
  step: number;
  /** The restored model (the caller disposes it). */
  model: tfl.LayersModel;
  /**
   * The run state saved with it, `step` included, and `lastEval` when an evaluation was recorded
   * after the save.
   */
  state: Record<string, unknown> & { step: number };
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Refuse a model whose weights hold NaN or infinity (CHECKPOINT_ERROR naming the weight). */
  requireFinite?: boolean;
}

/** The complete checkpoints of a model dir, oldest first (none when there is no such dir). */
export async function listCheckpoints(modelDir: string): Promise<{ step: number; path: string }[]> {
  return listIn(join(modelDir, F.folder));
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
  return latestIn(join(modelDir, F.folder));
}

async function latestIn(root: string): Promise<string | undefined> {
  try {
    const name = (await readFile(join(root, F.latest), "utf8")).trim();
    if (CKPT_PATTERN.test(name) && (await exists(join(root, name, F.state)))) return join(root, name);
  } catch {
    // No pointer yet: fall back to listing.
  }
  return (await listIn(root)).at(-1)?.path;
}

/**
 * Finds the checkpoint directory `path` names: a checkpoint directory itself (one with a
 * `state.json`, or named `ckpt-<step>`: loading a damaged one says what is wrong with it), a model
 * dir (its newest checkpoint), or its `checkpoints` folder. Undefined when there is none.
 */
export async function resolveCheckpoint(path: string): Promise<string | undefined> {
  if (await exists(join(path, F.state))) return path;
  if (CKPT_PATTERN.test(basename(path)) && (await exists(path))) return path;
  return (await latestCheckpoint(path)) ?? (await latestIn(path));
}

/**
 * Reads a checkpoint: a `ckpt-<step>` directory, or a model dir (its newest checkpoint), its files
 * checked against `checksums.json`. The model is rebuilt with `tfl.loadLayersModel`, so the
 * packages defining its layers must be imported first (`@gqn/model` for a GQN). The optimizer's
 * state is left on disk (a resumed run reads it: @gqn/train).
 *
 * @throws GqnError `CHECKPOINT_ERROR` when there is no checkpoint or it cannot be read; given a
 *   model dir whose newest checkpoint is damaged, the message names the newest intact one.
 */
export async function loadCheckpoint(
  path: string,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  const dir = await resolveCheckpoint(path);
  if (!dir) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: no checkpoint in ${path} (expected ${join(path, F.folder, `${F.prefix}<step>`)} or a checkpoint directory).`,
    );
  }
  if (dir === path) return loadCheckpointDir(dir, options);
  try {
    return await loadCheckpointDir(dir, options);
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
    const state = JSON.parse(await readFile(join(dir, F.state), "utf8")) as { step?: unknown };
    return Number.isInteger(state.step) && (await exists(join(dir, "model.json")));
  } catch {
    return false;
  }
}

async function loadCheckpointDir(dir: string, options: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  await verifyChecksums(dir);
  let state: LoadedCheckpoint["state"];
  try {
    state = JSON.parse(await readFile(join(dir, F.state), "utf8"));
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: cannot read ${join(dir, F.state)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!Number.isSafeInteger(state?.step) || state.step < 0) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${join(dir, F.state)} must hold a non-negative integer step, but got ${JSON.stringify(state?.step)}.`,
    );
  }
  // A checkpoint's name is its step: a state of another step is another run's, or edited.
  const named = CKPT_PATTERN.exec(basename(dir));
  if (named && Number(named[1]) !== state.step) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: ${join(dir, F.state)} says step ${state.step}, but the directory is ${basename(dir)}: the two must agree.`,
    );
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(layersModelFiles(dir));
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `loadCheckpoint: cannot load the model in ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (options.requireFinite) {
    const nonFinite = await nonFiniteWeight(model);
    if (nonFinite !== undefined) {
      model.dispose();
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${join(dir, "weights.bin")} holds non-finite values (in ${nonFinite}): the weights are damaged`,
      );
    }
  }
  const evaluation = await recordedEval(dir, state.step);
  if (evaluation) state.lastEval = evaluation;
  return { path: dir, step: state.step, model, state };
}

/**
 * Checks the files of a checkpoint against its `checksums.json` (checkpoints of earlier versions
 * have none and are taken as they are).
 */
async function verifyChecksums(dir: string): Promise<void> {
  const path = join(dir, F.checksums);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
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
      actual = createHash("sha256")
        .update(await readFile(join(dir, name)))
        .digest("hex");
    } catch (error) {
      // Lost optimizer files are the resume's to refuse (or accept with a fresh Adam), by name.
      const optimizer = name === F.optimizer || name === F.optimizerWeights;
      if (optimizer && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${join(dir, name)} is listed in ${F.checksums} but cannot be read: ${(error as Error).message}`,
      );
    }
    if (actual !== expected) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `loadCheckpoint: ${join(dir, name)} does not match its checksum in ${F.checksums}: it changed after the save (a damaged disk, a copy cut short, an edit).`,
      );
    }
  }
}

/** The evaluation recorded after the save of a checkpoint at `step`, if any is readable. */
async function recordedEval(dir: string, step: number): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, F.evaluation), "utf8")) as Record<string, unknown>;
    return parsed.step === step ? parsed : undefined;
  } catch {
    return undefined; // none, or unreadable: the step is evaluated again when needed
  }
}

/**
 * `"<weight>: N of M values"` for the first weight of `model` holding NaN or infinity; undefined
 * when all are finite. Async: a GPU backend such as WebGPU has no synchronous read in Node.
 */
export async function nonFiniteWeight(model: tfl.LayersModel): Promise<string | undefined> {
  for (const weight of model.weights) {
    const values = await weight.read().data();
    let bad = 0;
    for (const v of values) if (!Number.isFinite(v)) bad++;
    if (bad > 0) return `${weight.originalName}: ${bad} of ${values.length} values`;
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
