import { describe, expect, it } from "vitest";
import { annealed, PAPER_LR_SCHEDULE, PAPER_SIGMA_SCHEDULE } from "./schedules.js";

describe("annealed", () => {
  it("follows the paper's sigma schedule", () => {
    expect(annealed(PAPER_SIGMA_SCHEDULE, 0)).toBe(2.0);
    expect(annealed(PAPER_SIGMA_SCHEDULE, 1e5)).toBeCloseTo(1.35, 12);
    expect(annealed(PAPER_SIGMA_SCHEDULE, 2e5)).toBeCloseTo(0.7, 12);
    expect(annealed(PAPER_SIGMA_SCHEDULE, 1e6)).toBe(0.7);
  });

  it("follows the paper's learning-rate schedule", () => {
    expect(annealed(PAPER_LR_SCHEDULE, 0)).toBe(5e-4);
    expect(annealed(PAPER_LR_SCHEDULE, 8e5)).toBeCloseTo(2.75e-4, 12);
    expect(annealed(PAPER_LR_SCHEDULE, 2e6)).toBe(5e-5);
  });
});
