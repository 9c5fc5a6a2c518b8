import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import { cliFailureLines } from "@gqn/core/cli";
import { withPath } from "@gqn/core/node";
import { afterAll, describe, expect, it } from "vitest";
import { runDataCli } from "./run-data-cli.js";
import { writeTestDataset } from "./test-datasets.js";

const root = mkdtempSync(join(tmpdir(), "gqn-cli-common-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The error a real call fails with. */
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("cliFailureLines: a file-system failure is one line naming the path and what to do", () => {
  it("ENOTDIR, also inside a GqnError that wraps it", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    const raw = await failure(() => mkdir(join(file, "out", "deeper"), { recursive: true }));
    const wrapped = new GqnError(
      "IO_ERROR",
      `writeSyntheticDataset: cannot prepare ${file}/out: ${(raw as Error).message}.`,
      {
        cause: raw,
      },
    );
    expect((raw as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    for (const error of [raw, wrapped]) {
      expect(cliFailureLines("gqn-synth", error, false)).toEqual([
        `gqn-synth: cannot use ${file}: a part of it is a file, not a directory. Choose another path.`,
      ]);
    }
  });

  it("Node's ENOENT from a recursive mkdir is traced to the part of the path at fault", () => {
    const file = join(root, "another-file");
    writeFileSync(file, "x");
    const enoent = Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${file}/x'`), {
      code: "ENOENT",
      syscall: "mkdir",
      path: join(file, "x", "y"),
    });
    expect(cliFailureLines("gqn-render", enoent, false)).toEqual([
      `gqn-render: cannot use ${file}: a part of it is a file, not a directory. Choose another path.`,
    ]);
  });

  it("ENOSPC on an open file names the file (withPath)", () => {
    const full = withPath(
      Object.assign(new Error("ENOSPC: no space left on device, write"), {
        code: "ENOSPC",
        syscall: "write",
      }),
      "/runs/a/log.jsonl",
    );
    expect(cliFailureLines("gqn-train", full, false)).toEqual([
      "gqn-train: cannot use /runs/a/log.jsonl: the disk is full. Free some space or choose another disk.",
    ]);
  });

  it("EACCES, EROFS, EEXIST as errors carrying their path", () => {
    for (const [code, fix] of [
      ["EACCES", "permission denied. Choose a path you can write to"],
      ["EROFS", "the file system is read-only. Choose a path you can write to"],
      ["EEXIST", "it exists and is not a directory. Choose another path"],
    ]) {
      const error = Object.assign(new Error(`${code}: ...`), { code, path: "/data/x" });
      expect(cliFailureLines("gqn-data", error, false)).toEqual([`gqn-data: cannot use /data/x: ${fix}.`]);
    }
  });

  it("gqn-data export into a read-only file system (where this machine lets a test mount one)", async (context) => {
    const readOnly = join(root, "ro");
    mkdirSync(readOnly);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "ro", "tmpfs", readOnly], { stdio: "ignore" });
    } catch {
      context.skip();
    }
    try {
      const { train } = await writeTestDataset({
        dataDir: root,
        name: "ro-source",
        views: 2,
        train: [1],
        test: [],
      });
      let err = "";
      const code = await runDataCli(
        ["export", train[0] as string, "--record", "0", "--out", join(readOnly, "x")],
        {
          stdout: { write: () => true },
          stderr: { write: (t: string) => (err += t) },
        },
      );
      expect(code).toBe(1);
      expect(err).toBe(
        `gqn-data: cannot use ${readOnly}: the file system is read-only. Choose a path you can write to.\n`,
      );
    } finally {
      execFileSync("umount", [readOnly], { stdio: "ignore" });
    }
  });
});
