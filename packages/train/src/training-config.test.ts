import { GQN_PRESETS } from "@gqn/model";
import { describe, expect, it } from "vitest";
import { validateTrainingConfig } from "./training-config.js";

describe("validateTrainingConfig", () => {
  it("checks the context size against the dataset's views", () => {
    const training = { ...GQN_PRESETS.tiny.training };
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
});
