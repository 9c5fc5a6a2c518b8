import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { bundleScript } from "../../test/bundle-script.js";
import { lockRunDirectory, RUN_LOCK_FILE } from "./run-lock.js";

let script: string;
let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  script = await bundleScript(fileURLToPath(new URL("../../test/train-cli-child.ts", import.meta.url)));
  data = await syntheticDataset();
  root = await mkdtemp(join(tmpdir(), "gqn-lock-"));
});
afterAll(async () => {
  await rm(script, { force: true });
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

/** A process id that is certainly not running: a child's, after it has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid as number;
}

describe("lockRunDirectory", () => {
  it("refuses a second owner naming the holder's pid, and is free again once released", async () => {
    const dir = join(root, "unit");
    await mkdir(dir, { recursive: true });
    const lock = await lockRunDirectory(dir);
    await expect(lockRunDirectory(dir)).rejects.toThrow(
      new RegExp(`is in use by process ${process.pid} .*one trainer per model dir`),
    );
    await lock.release();
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    await (await lockRunDirectory(dir)).release();
  });

  it("writes its draft afresh: a link planted at the draft's name is replaced, its target untouched", async () => {
    const dir = join(root, "planted");
    await mkdir(dir, { recursive: true });
    const target = join(root, "precious.txt");
    await writeFile(target, "keep me\n");
    await symlink(target, join(dir, `${RUN_LOCK_FILE}.${process.pid}`));
    const lock = await lockRunDirectory(dir);
    expect(await readFile(target, "utf8")).toBe("keep me\n");
    expect(JSON.parse(await readFile(join(dir, RUN_LOCK_FILE), "utf8")).pid).toBe(process.pid);
    expect((await lstat(join(dir, RUN_LOCK_FILE))).isFile()).toBe(true);
    await lock.release();
  });

  it("takes over a lock whose process is gone, and one that cannot be read", async () => {
    const dir = join(root, "stale");
    await mkdir(dir, { recursive: true });
    const dead = await deadPid();
    const stale = { pid: dead, host: hostname(), started: "2026-01-01T00:00:00.000Z" };
    await writeFile(join(dir, RUN_LOCK_FILE), JSON.stringify(stale));
    const lock = await lockRunDirectory(dir);
    expect(JSON.parse(await readFile(join(dir, RUN_LOCK_FILE), "utf8")).pid).toBe(process.pid);
    await lock.release();
    await writeFile(join(dir, RUN_LOCK_FILE), "{");
    await (await lockRunDirectory(dir)).release();
    // 0 and negative pids name process groups, not a holder: no one's lock.
    for (const pid of [0, -1]) {
      await writeFile(join(dir, RUN_LOCK_FILE), JSON.stringify({ ...stale, pid }));
      await (await lockRunDirectory(dir)).release();
    }
  });
});

function gqnTrain(
  modelDir: string,
  extra: string[],
): ChildProcess & { out: { stdout: string; stderr: string } } {
  const child = spawn(
    process.execPath,
    [script, "--data-dir", data.dataDir, "--dataset", data.dataset, "--model-dir", modelDir]
      .concat(["--preset", "tiny", "--batch-size", "2", "--backend", "wasm", "--eval-every", "0"])
      .concat(["--render-every", "0", "--checkpoint-every", "0", ...extra]),
    { stdio: ["ignore", "pipe", "pipe"] },
  ) as ChildProcess & { out: { stdout: string; stderr: string } };
  child.out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk) => {
    child.out.stdout += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    child.out.stderr += String(chunk);
  });
  return child;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

describe("gqn-train processes on one model dir", () => {
  it("refuses a second trainer naming the first's pid; after a SIGKILL the next one takes over", async () => {
    const modelDir = join(root, "run");
    const first = gqnTrain(modelDir, ["--steps", "100000", "--log-every", "1", "--debug"]);
    const firstExit = exitOf(first);
    await new Promise<void>((resolve, reject) => {
      first.once("exit", (code) =>
        reject(new Error(`gqn-train exited early (${code}): ${first.out.stderr}`)),
      );
      first.stderr?.on("data", () => {
        if (/step 2:/.test(first.out.stderr)) resolve();
      });
    });
    const second = gqnTrain(modelDir, ["--steps", "4", "--resume"]);
    expect(await exitOf(second)).toBe(1);
    const lines = second.out.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(new RegExp(`^gqn-train: .* is in use by process ${first.pid} `));
    expect(lines.filter((line) => line.startsWith("gqn-train:"))).toHaveLength(1);
    expect(second.out.stdout).toBe("");

    first.kill("SIGKILL");
    await firstExit;
    expect(existsSync(join(modelDir, RUN_LOCK_FILE))).toBe(true);
    const third = gqnTrain(modelDir, ["--steps", "3", "--resume"]);
    expect(await exitOf(third), third.out.stderr).toBe(0);
    expect(third.out.stdout).toMatch(/^gqn-train: step 3 /);
    // Released on the way out, and on the way out of a failed run too.
    expect(existsSync(join(modelDir, RUN_LOCK_FILE))).toBe(false);
    const failed = gqnTrain(modelDir, ["--steps", "4"]);
    expect(await exitOf(failed)).toBe(1);
    expect(failed.out.stderr).toMatch(/already holds a checkpoint/);
    expect(existsSync(join(modelDir, RUN_LOCK_FILE))).toBe(false);
  });
});
