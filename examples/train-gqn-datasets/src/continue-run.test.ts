import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { continueRun } from "./continue-run.js";

const work = mkdtempSync(join(tmpdir(), "gqn-continue-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A model dir whose newest checkpoint is ckpt-<step>, as gqn-train leaves it. */
function modelDirAt(step: number): string {
  const dir = join(work, `run-${step}`);
  mkdirSync(join(dir, "checkpoints", `ckpt-${step}`), { recursive: true });
  writeFileSync(join(dir, "checkpoints", `ckpt-${step}`, "state.json"), JSON.stringify({ step }));
  return dir;
}

describe("continueRun", () => {
  it("leaves a new run's arguments alone", async () => {
    expect(await continueRun(["--steps", "20"], join(work, "empty"))).toEqual({ argv: ["--steps", "20"] });
  });

  it("continues a trained model dir, and counts the demo's steps from its checkpoint", async () => {
    const dir = modelDirAt(20);
    const again = await continueRun(["--model-dir", dir, "--steps", "20"], dir, 20);
    expect(again.argv).toEqual(["--model-dir", dir, "--steps", "40", "--resume"]);
    expect(again.note).toMatch(/holds ckpt-20: continuing it \(--resume\).*another --model-dir/);
    expect((await continueRun(["--model-dir", dir], dir)).argv).toEqual(["--model-dir", dir, "--resume"]);
    expect((await continueRun(["--resume"], dir)).argv).toEqual(["--resume"]);
  });
});
