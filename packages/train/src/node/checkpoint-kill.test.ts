import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listCheckpoints } from "@gqn/eval/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScript } from "../../test/bundle-script.js";
import { loadTrainingCheckpoint, removeStaleCheckpointFiles } from "./checkpoint.js";

let script: string;
let dir: string;
beforeAll(async () => {
  script = await bundleScript(fileURLToPath(new URL("../../test/save-loop.ts", import.meta.url)));
  dir = await mkdtemp(join(tmpdir(), "gqn-kill-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(script, { force: true });
});

/** Runs the save loop until it reports `saves` more saves, then SIGKILLs it `delayMs` later. */
async function killDuringSaves(saves: number, delayMs: number): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, [script, dir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  let lastSaved = -1;
  let seen = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`save loop exited early (${code}): ${stderr}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      for (const match of String(chunk).matchAll(/saved (\d+)/g)) {
        lastSaved = Number(match[1]);
        if (++seen === saves) setTimeout(resolve, delayMs);
      }
    });
  });
  child.kill("SIGKILL");
  await exited;
  return lastSaved;
}

describe("a SIGKILL during a save", () => {
  it("leaves the last complete checkpoint loadable, whatever the moment", async () => {
    // Kills at several moments of the save cycle (weights, optimizer, state, rename, pointer, prune).
    let midSave = 0;
    for (const delayMs of [0, 6, 14]) {
      const reported = await killDuringSaves(2, delayMs);
      const loaded = await loadTrainingCheckpoint(dir);
      // Reported saves are complete; the one under way may or may not have made it.
      expect(loaded.step).toBeGreaterThanOrEqual(reported);
      expect(loaded.state.marker).toBe(loaded.step * 7);
      expect(loaded.optimizerState?.length).toBe(7); // iterations, 2 moments x (kernel, bias), 2 powers
      loaded.model.dispose();
      for (const w of loaded.optimizerState ?? []) w.tensor.dispose();
      if ((await readdir(join(dir, "checkpoints"))).some((n) => n.includes(".tmp-"))) midSave++;
      await removeStaleCheckpointFiles(dir);
      const names = await readdir(join(dir, "checkpoints"));
      expect(names.filter((n) => /\.(tmp|del)-/.test(n))).toEqual([]);
      expect((await listCheckpoints(dir)).length).toBeLessThanOrEqual(3);
    }
    // The child does nothing but save, so kills land inside saves: the case under test happened.
    expect(midSave).toBeGreaterThan(0);
  });
});
