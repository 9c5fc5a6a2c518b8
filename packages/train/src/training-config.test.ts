import { describe, expect, it } from "vitest";
import {
  cpuSchedules,
  getTrainingPreset,
  TRAINING_PRESETS,
  validateTrainingConfig,
} from "./training-config.js";

describe("validateTrainingConfig", () => {
  it("checks the context size against the dataset's views", () => {
    const training = { ...TRAINING_PRESETS.tiny };
    expect(() => validateTrainingConfig({ ...training, contextSize: 15 }, 15)).toThrow(
      "validateTrainingConfig: contextSize must be less than the dataset's 15 views per scene (K context views + 1 target), but got 15.",
    );
    expect(() => validateTrainingConfig({ ...training, contextSize: { min: 3, max: 2 } })).toThrow(
      /1 <= min <= max/,
    );
    expect(() => validateTrainingConfig({ ...training, batchSize: 0 })).toThrow(
      /batchSize must be a positive integer/,
    );
    expect(() => validateTrainingConfig(training, 15)).not.toThrow();
  });

  it("has the training settings of every model preset: the paper's schedules, the CPU recipe for tiny and small", async () => {
    const { GQN_PRESET_NAMES } = await import("@gqn/model");
    expect(Object.keys(TRAINING_PRESETS).sort()).toEqual([...GQN_PRESET_NAMES].sort());
    expect(getTrainingPreset("paper").learningRate).toEqual({ start: 5e-4, end: 5e-5, steps: 1.6e6 });
    expect(getTrainingPreset("paper").sigma).toEqual({ start: 2, end: 0.7, steps: 2e5 });
    expect(getTrainingPreset("tf-gqn").sigma).toEqual({ start: 2, end: 0.7, steps: 2e5 });
    expect(getTrainingPreset("small").batchSize).toBe(8);
    expect(getTrainingPreset("small").sigma).toEqual({ start: 2, end: 0.7, steps: 5000 });
    expect(getTrainingPreset("small").learningRate).toEqual({ start: 1e-3, end: 1e-4, steps: 5000 });
    expect(getTrainingPreset("tiny").sigma).toEqual({ start: 2, end: 0.7, steps: 4000 });
    expect(getTrainingPreset("tiny").learningRate).toEqual({ start: 1e-3, end: 1e-4, steps: 4000 });
    expect(() => getTrainingPreset("huge")).toThrow(/preset must be one of tf-gqn, paper, small, tiny/);
  });

  it("sizes the CPU schedules to a run, one step at least (a run of 0 steps saves its start)", () => {
    expect(cpuSchedules(4000)).toEqual({
      sigma: getTrainingPreset("tiny").sigma,
      learningRate: getTrainingPreset("tiny").learningRate,
    });
    const none = { ...getTrainingPreset("tiny"), ...cpuSchedules(0) };
    expect(none.sigma.steps).toBe(1);
    expect(() => validateTrainingConfig(none)).not.toThrow();
  });
});
