import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * A kill between any two file-system operations: once `killAt` operations have run, every later
 * one fails, as nothing runs after a SIGKILL (not even a save's own clean-up).
 */
const gate = vi.hoisted(() => ({
  ops: 0,
  killAt: Number.POSITIVE_INFINITY,
  /** An errno code every rename fails with (a disk error, a rename across file systems). */
  renameFails: undefined as string | undefined,
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const guarded =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (gate.ops >= gate.killAt) return Promise.reject(new Error("killed"));
      if (gate.renameFails && (f as unknown) === real.rename) {
        return Promise.reject(
          Object.assign(new Error(`${gate.renameFails}: rename failed`), { code: gate.renameFails }),
        );
      }
      gate.ops++;
      return f(...args);
    };
  const mutating = [
    "mkdir",
    "rm",
    "rename",
    "open",
    "writeFile",
    "appendFile",
    "unlink",
    "link",
    "copyFile",
  ] as const;
  const wrapped: Record<string, unknown> = { ...real };
  for (const name of mutating)
    wrapped[name] = guarded(real[name] as (...args: unknown[]) => Promise<unknown>);
  return { ...wrapped, default: wrapped };
});

const { latestCheckpoint, listCheckpoints, loadCheckpoint } = await import("@gqn/eval/node");
const { removeStaleCheckpointFiles, saveCheckpoint } = await import("./checkpoint.js");

function denseModel() {
  const input = tfl.input({ shape: [3] });
  const output = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gqn-ckpt-faults-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a save killed between any two file-system operations", () => {
  it("leaves `latest` and the checkpoint list agreeing, and the next save goes through", async () => {
    const model = denseModel();
    let killAt = 0;
    let completed = false;
    while (!completed) {
      const dir = join(root, `kill-${killAt}`);
      await saveCheckpoint({ modelDir: dir, step: 1, model, state: { marker: 1 }, keep: 2 });
      await saveCheckpoint({ modelDir: dir, step: 2, model, state: { marker: 2 }, keep: 2 });
      gate.ops = 0;
      gate.killAt = killAt;
      try {
        await saveCheckpoint({ modelDir: dir, step: 3, model, state: { marker: 3 }, keep: 2 });
        completed = true;
      } catch {
        // killed
      } finally {
        gate.killAt = Number.POSITIVE_INFINITY;
      }
      // What a resumed run sees: leftovers cleared, then the newest checkpoint.
      await removeStaleCheckpointFiles(dir);
      const listed = await listCheckpoints(dir);
      const latest = await latestCheckpoint(dir);
      expect(latest, `killed after ${killAt} operations`).toBe(listed.at(-1)?.path);
      const loaded = await loadCheckpoint(dir);
      expect([2, 3], `killed after ${killAt} operations`).toContain(loaded.step);
      expect(loaded.state.marker).toBe(loaded.step);
      loaded.model.dispose();
      expect((await readdir(join(dir, "checkpoints"))).filter((n) => /\.(tmp|del)-/.test(n))).toEqual([]);
      // The resumed run saves its next step: never onto a checkpoint that is already there.
      const next = loaded.step + 1;
      await saveCheckpoint({ modelDir: dir, step: next, model, state: { marker: next }, keep: 2 });
      const after = await loadCheckpoint(dir);
      expect(after.state.marker, `killed after ${killAt} operations`).toBe(next);
      after.model.dispose();
      killAt++;
    }
    // Every operation of the save was a kill point.
    expect(killAt).toBeGreaterThan(8);
    model.dispose();
  });
});

describe("a save whose rename fails (EIO, EXDEV)", () => {
  it("is one CHECKPOINT_ERROR naming the checkpoint, and the previous checkpoint stays the newest", async () => {
    const model = denseModel();
    for (const code of ["EIO", "EXDEV"]) {
      const dir = join(root, `rename-${code}`);
      await saveCheckpoint({ modelDir: dir, step: 1, model, state: { marker: 1 } });
      gate.renameFails = code;
      try {
        await expect(
          saveCheckpoint({ modelDir: dir, step: 2, model, state: { marker: 2 } }),
        ).rejects.toMatchObject({
          code: "CHECKPOINT_ERROR",
          message: expect.stringMatching(
            new RegExp(
              `^saveCheckpoint: could not put .*ckpt-2 in place \\(${code}: .*the newest complete checkpoint is still the previous one\\.`,
            ),
          ),
        });
      } finally {
        gate.renameFails = undefined;
      }
      expect(await latestCheckpoint(dir)).toBe(join(dir, "checkpoints", "ckpt-1"));
      const loaded = await loadCheckpoint(dir);
      expect(loaded.state.marker).toBe(1);
      loaded.model.dispose();
      expect((await readdir(join(dir, "checkpoints"))).filter((e) => e.includes(".tmp"))).toEqual([]);
    }
    model.dispose();
  });
});
