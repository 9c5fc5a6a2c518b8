import { describe, expect, it } from "vitest";
import { trainPatchGqn } from "./train-in-gqn.js";

describe("the patch encoder inside the full GQN", () => {
  it("trains: the negative ELBO falls on a fixed batch", async () => {
    const losses = await trainPatchGqn(12);
    expect(losses).toHaveLength(12);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    const first = (losses[0] ?? 0) + (losses[1] ?? 0);
    const last = (losses[10] ?? 0) + (losses[11] ?? 0);
    expect(last).toBeLessThan(first);
  }, 120_000);
});
