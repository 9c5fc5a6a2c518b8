import { describe, expect, it } from "vitest";
import { EvalProgress } from "./eval-progress.js";

describe("EvalProgress", () => {
  it("announces the step-0 evaluation, then a line per batch at most every everyMs", () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = new EvalProgress({
      step: 0,
      batches: 4,
      say: (l) => lines.push(l),
      everyMs: 10_000,
      now: () => clock,
    });
    expect(lines).toEqual(["[gqn] evaluating step 0 on 4 test batches..."]);
    clock = 4_000;
    progress.batchDone(1); // too soon
    clock = 12_000;
    progress.batchDone(2);
    clock = 15_000;
    progress.batchDone(3); // too soon after the last line
    clock = 40_000;
    progress.batchDone(4); // the last: its record follows
    expect(lines.slice(1)).toEqual(["[gqn] evaluating step 0: 2/4 test batches (12 s)"]);
  });

  it("stays quiet for later evaluations that are quick", () => {
    const lines: string[] = [];
    const progress = new EvalProgress({ step: 500, batches: 2, say: (l) => lines.push(l), now: () => 0 });
    progress.batchDone(1);
    expect(lines).toEqual([]);
  });
});
