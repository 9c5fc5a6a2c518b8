import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listCheckpoints, loadCheckpoint } from "@gqn/eval/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { bundleScript } from "../../test/bundle-script.js";
import { RUN_LOCK_FILE } from "./run-lock.js";

let script: string;
let busyScript: string;
let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  script = await bundleScript(fileURLToPath(new URL("../../test/train-cli-child.ts", import.meta.url)));
  busyScript = await bundleScript(
    fileURLToPath(new URL("../../test/busy-after-signal-child.ts", import.meta.url)),
  );
  data = await syntheticDataset();
  root = await mkdtemp(join(tmpdir(), "gqn-signal-"));
});
afterAll(async () => {
  await rm(script, { force: true });
  await rm(busyScript, { force: true });
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

describe("gqn-train and process signals", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("%s: saves a checkpoint and exits 130", async (signal) => {
    const modelDir = join(root, signal);
    const child: ChildProcess = spawn(
      process.execPath,
      [script, "--data-dir", data.dataDir, "--dataset", data.dataset, "--model-dir", modelDir]
        .concat(["--preset", "tiny", "--batch-size", "2", "--steps", "100000", "--backend", "wasm"])
        .concat([
          "--log-every",
          "1",
          "--eval-every",
          "0",
          "--render-every",
          "0",
          "--checkpoint-every",
          "0",
          "--debug",
        ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // --debug logs every step: signal once two steps are done.
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`gqn-train exited early (${code}): ${stderr}`)));
      child.stderr?.on("data", (chunk) => {
        stderr += String(chunk);
        if (/step 2:/.test(stderr)) resolve();
      });
    });
    child.kill(signal);
    expect(await exited).toBe(130);
    expect(stderr).toContain(`${signal}: stopping after this step and saving a checkpoint`);
    const steps = (await listCheckpoints(modelDir)).map((c) => c.step);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toBeGreaterThanOrEqual(2);
    expect(stdout).toMatch(new RegExp(`step ${steps[0]} \\(signal, `));
    // The run directory's lock goes with the process.
    expect(existsSync(join(modelDir, RUN_LOCK_FILE))).toBe(false);
    const loaded = await loadCheckpoint(modelDir);
    loaded.model.dispose();
  });
});

describe("a second signal", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s ends the process at once, even during a long synchronous step",
    async (signal) => {
      const child = spawn(process.execPath, [busyScript], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, killedBy) => resolve({ code, signal: killedBy })),
      );
      const seen = (text: string) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (stderr.includes(text)) resolve();
          };
          child.stderr?.on("data", check);
          check();
        });
      child.stderr?.on("data", (chunk) => {
        stderr += String(chunk);
      });
      await seen("ready");
      child.kill(signal);
      await seen("busy");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sent = performance.now();
      child.kill(signal);
      const end = await exited;
      expect(performance.now() - sent).toBeLessThan(5_000);
      expect(end.signal).toBe(signal);
      expect(stderr).toContain(`${signal}: stopping after this step`);
      expect(stderr).not.toContain("finished the step");
    },
  );
});
