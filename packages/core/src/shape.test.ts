import { describe, expect, it } from "vitest";
import { GqnError } from "./errors.js";
import { assertShape } from "./shape.js";

describe("assertShape", () => {
  it("accepts matching shapes with free dimensions", () => {
    expect(() => assertShape([8, 64, 64, 3], [null, 64, 64, 3], "Tower.encode", "frames")).not.toThrow();
  });

  it("names the place, the tensor and both shapes", () => {
    try {
      assertShape([8, 84, 84, 3], [null, 64, 64, 3], "TowerEncoder.encode", "frames");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GqnError);
      expect((error as GqnError).code).toBe("SHAPE_MISMATCH");
      expect((error as Error).message).toBe(
        "TowerEncoder.encode: frames must have shape [?, 64, 64, 3], but got [8, 84, 84, 3].",
      );
    }
  });

  it("rejects a different rank", () => {
    expect(() => assertShape([8, 64, 64], [null, 64, 64, 3], "f", "x")).toThrow(/must have shape/);
  });
});
