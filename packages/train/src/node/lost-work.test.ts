import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listCheckpoints } from "@gqn/eval/node";
import { describe, expect, it } from "vitest";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { runFixture } from "../../test/run-fixture.js";
import { TINY_GQN } from "../../test/tiny-gqn.js";
import { train } from "./train.js";

// The loop on the smallest GQN (milliseconds a step): what is tested is the loop's order.
const fixture = runFixture("gqn-lost-work-", { frameSize: 16 });

/** A copy of the dataset with one byte of a test-split file flipped (`file` under the dataset folder). */
async function damagedCopy(name: string, file: string): Promise<string> {
  const dataDir = join(fixture.root, name);
  await cp(fixture.data.dataDir, dataDir, { recursive: true });
  const path = join(dataDir, fixture.data.dataset, file);
  const bytes = await readFile(path);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  await writeFile(path, bytes);
  return dataDir;
}

interface Extra {
  resume?: boolean;
  steps?: number;
  freshOptimizer?: boolean;
  onCorrupt?: "error" | "skip";
  evalEvery?: number;
  log?: (line: string) => void;
}

/** The error a run rejects with (a resolved run fails the test). */
async function failure(running: Promise<unknown>): Promise<Error> {
  const outcome = await running.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (!(outcome instanceof Error)) throw new Error("expected the run to fail");
  return outcome;
}

const run = (dataDir: string, modelDir: string, extra: Extra = {}) =>
  train({
    dataDir,
    dataset: fixture.data.dataset,
    modelDir,
    preset: "tiny",
    model: TINY_GQN,
    batchSize: 2,
    dataWorkers: 0,
    steps: 12,
    checkpointEvery: 0,
    evalEvery: 0,
    renderEvery: 0,
    ...extra,
  });

describe("a failing evaluation costs no training step", () => {
  it("saves the steps before the final evaluation; its error names the checkpoint and the way on", async () => {
    const dataDir = await damagedCopy("bad-masks", "masks/test/1-of-1.masks");
    const modelDir = join(fixture.root, "bad-masks-run");
    const error = await failure(run(dataDir, modelDir, { log: () => {} }));
    expect(error.message).toMatch(/CRC32C mismatch/);
    expect(error.message).toContain(`The 12 steps are saved in ${join(modelDir, "checkpoints", "ckpt-12")}`);
    expect(error.message).toContain("onCorrupt skip");
    expect((await listCheckpoints(modelDir)).map((c) => c.step)).toEqual([12]);
    // The next call resumes there and evaluates, with nothing left to train.
    const resumed = await run(dataDir, modelDir, { resume: true, onCorrupt: "skip", log: () => {} });
    expect(resumed.stepsRun).toBe(0);
    expect(resumed.lastEval?.step).toBe(12);
  });

  it("scores without object masks, said once, when they do not read and onCorrupt is skip", async () => {
    const dataDir = await damagedCopy("bad-masks-skip", "masks/test/1-of-1.masks");
    const lines: string[] = [];
    const result = await run(dataDir, join(fixture.root, "bad-masks-skip-run"), {
      onCorrupt: "skip",
      evalEvery: 4,
      log: (line) => lines.push(line),
    });
    expect(result.step).toBe(12);
    expect(result.lastEval?.step).toBe(12);
    expect(lines.filter((line) => line.includes("object masks could not be read"))).toHaveLength(1);
  });

  it("passes over a bad test record with onCorrupt skip, as it does over training records", async () => {
    const dataDir = await damagedCopy("bad-record", "test/1-of-1.tfrecord");
    const failed = await failure(run(dataDir, join(fixture.root, "bad-record-error"), { log: () => {} }));
    expect(failed.message).toContain("steps are saved in");
    expect((await listCheckpoints(join(fixture.root, "bad-record-error"))).map((c) => c.step)).toEqual([12]);
    const result = await run(dataDir, join(fixture.root, "bad-record-skip"), {
      onCorrupt: "skip",
      log: () => {},
    });
    expect(result.lastEval?.step).toBe(12);
  });

  it("records the final evaluation beside the checkpoint saved before it, so a resume finds nothing to do", async () => {
    const modelDir = join(fixture.root, "clean");
    const first = await run(fixture.data.dataDir, modelDir, { log: () => {} });
    const recorded = JSON.parse(await readFile(join(first.checkpoint!, "evaluation.json"), "utf8"));
    expect(recorded.step).toBe(12);
    expect(recorded.elbo).toBeCloseTo(first.lastEval!.elbo, 6);
    expect((await readdir(first.checkpoint!)).filter((f) => f.includes(".tmp"))).toEqual([]);
    const again = await run(fixture.data.dataDir, modelDir, { resume: true, log: () => {} });
    expect(again.stepsRun).toBe(0);
    expect(again.lastEval).toBeUndefined();
  });
});

describe("a resume that would change the run", () => {
  it("refuses a checkpoint without optimizer state, unless freshOptimizer accepts a fresh Adam", async () => {
    const modelDir = join(fixture.root, "no-optimizer");
    const first = await run(fixture.data.dataDir, modelDir, { log: () => {} });
    for (const file of ["optimizer.json", "optimizer.bin"]) await rm(join(first.checkpoint!, file));
    const refused = await failure(run(fixture.data.dataDir, modelDir, { resume: true, log: () => {} }));
    expect(refused.message).toContain(`${first.checkpoint} has no optimizer state`);
    expect(refused.message).toContain("freshOptimizer");
    const lines: string[] = [];
    const resumed = await run(fixture.data.dataDir, modelDir, {
      resume: true,
      freshOptimizer: true,
      log: (line) => lines.push(line),
    });
    expect(resumed.step).toBe(12);
    expect(lines.some((line) => line.includes("continuing with a fresh Adam"))).toBe(true);
  });

  it("a shard deleted since the checkpoint: the data order starts over, said in one line", async () => {
    const dataDir = join(fixture.root, "shard-gone");
    await cp(fixture.data.dataDir, dataDir, { recursive: true });
    const modelDir = join(fixture.root, "shard-gone-run");
    await run(dataDir, modelDir, { log: () => {} });
    await rm(join(dataDir, fixture.data.dataset, "train", "2-of-2.tfrecord"));
    const lines: string[] = [];
    const resumed = await run(dataDir, modelDir, {
      resume: true,
      steps: 14,
      log: (line) => lines.push(line),
    });
    expect(resumed.step).toBe(14);
    expect(lines.join("\n")).toMatch(
      /the data position saved in .*ckpt-12 names shepard_metzler_5_parts\/train\/2-of-2\.tfrecord, which is not among the dataset's shards .*: the data order starts over/,
    );
  });
});

describe("the skipped-records check", () => {
  it("counts a shard of garbage as the records it held, not as one", async () => {
    const many = await syntheticDataset({ trainScenes: 40, testScenes: 4, frameSize: 16 });
    try {
      const shard = join(many.dataDir, many.dataset, "train", "03-of-10.tfrecord");
      const size = (await readFile(shard)).length;
      await writeFile(shard, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251)));
      const lines: string[] = [];
      const failed = await failure(
        train({
          dataDir: many.dataDir,
          dataset: many.dataset,
          modelDir: join(fixture.root, "garbage-shard"),
          preset: "tiny",
          batchSize: 2,
          dataWorkers: 0,
          steps: 60,
          evalEvery: 0,
          renderEvery: 0,
          checkpointEvery: 0,
          onCorrupt: "skip",
          maxSkippedFraction: 0.05,
          log: (line) => lines.push(line),
        }),
      );
      expect(lines.join("\n")).toMatch(
        /03-of-10\.tfrecord: no record could be read after record 0 \(\d+ bytes to the end of the file\): counted as 4 bad records, from the records dataset\.json declares per file/,
      );
      expect(failed.message).toMatch(/4 of the \d+ training records read were bad/);
    } finally {
      await many.cleanup();
    }
  });
});
