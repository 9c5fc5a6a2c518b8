import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScript } from "../../test/bundle-script.js";
import { syntheticDataset } from "../../test/synthetic-data.js";
import { listCheckpoints, loadCheckpoint } from "./checkpoint.js";

let script: string;
let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  script = await bundleScript(fileURLToPath(new URL("../../test/train-cli-child.ts", import.meta.url)), {
    "/gqn-factory.js": fileURLToPath(new URL("../../test/pose-decoder-factory-module.ts", import.meta.url)),
  });
  data = await syntheticDataset();
  root = await mkdtemp(join(tmpdir(), "gqn-signal-"));
});
afterAll(async () => {
  await rm(script, { force: true });
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
    expect(stdout).toMatch(new RegExp(`step ${steps[0]} \\(signal\\)`));
    const loaded = await loadCheckpoint(modelDir);
    loaded.model.dispose();
    for (const w of loaded.optimizerState ?? []) w.tensor.dispose();
  });
});
