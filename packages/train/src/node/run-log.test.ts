import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliFailureLines } from "@gqn/core/cli";
import { describe, expect, it } from "vitest";
import { type LogRecord, RunLog } from "./run-log.js";

describe("RunLog", () => {
  it("appends one JSON object per line, in order, across reopenings (resume)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gqn-log-"));
    const path = join(dir, "sub", "log.jsonl");
    const record = (step: number, elbo: number): LogRecord => ({
      split: "train",
      step,
      elbo,
      nll: elbo - 1,
      kl: 1,
      lr: 5e-4,
      sigma: 2,
      stepMs: 10,
      time: new Date(0).toISOString(),
    });
    let log = await RunLog.open(path);
    void log.append(record(1, 10));
    void log.append(record(2, Number.NaN));
    await log.close();
    log = await RunLog.open(path);
    await log.append({ ...record(3, 8), split: "test", psnr: 20.5, mse: 0.01 });
    await log.close();
    const lines = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3]);
    expect(lines[1].elbo).toBeNull(); // NaN has no JSON form
    expect(lines[2]).toMatchObject({ split: "test", psnr: 20.5, lr: 5e-4, sigma: 2, stepMs: 10 });
    await rm(dir, { recursive: true, force: true });
  });

  it("drops the records past a resumed checkpoint, and a line cut by a crash", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gqn-log-"));
    const path = join(dir, "log.jsonl");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      path,
      '{"split":"train","step":1}\n{"split":"test","step":2}\n{"split":"train","step":3}\n{"split":"tr',
    );
    const log = await RunLog.open(path, { dropAfterStep: 2 });
    await log.close();
    expect(await readFile(path, "utf8")).toBe('{"split":"train","step":1}\n{"split":"test","step":2}\n');
    await rm(dir, { recursive: true, force: true });
  });

  it("a full disk on an append names the log file", async () => {
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    const log = await RunLog.open("/dev/full");
    const error = await log
      .append({ split: "train", step: 1, elbo: 1, nll: 1, kl: 0, lr: 1, sigma: 1, stepMs: 1, time: "t" })
      .then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
    expect(error?.code).toBe("ENOSPC");
    expect(error?.path).toBe("/dev/full");
    expect(cliFailureLines("gqn-train", error, false)).toEqual([
      "gqn-train: cannot use /dev/full: the disk is full. Free some space or choose another disk.",
    ]);
    await log.close();
  });

  it("refuses a link planted at the log's name instead of appending through it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gqn-runlog-link-"));
    try {
      const target = join(dir, "precious.txt");
      await writeFile(target, "keep me\n");
      await symlink(target, join(dir, "log.jsonl"));
      await expect(RunLog.open(join(dir, "log.jsonl"))).rejects.toThrow(
        /log\.jsonl is a symbolic link: a run writes its log into its own directory only/,
      );
      expect(await readFile(target, "utf8")).toBe("keep me\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
