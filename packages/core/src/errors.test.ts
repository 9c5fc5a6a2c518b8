import { describe, expect, it } from "vitest";
import { GqnError, isGqnError } from "./errors.js";

describe("isGqnError", () => {
  it("knows GqnErrors by code, and only them", () => {
    const error = new GqnError("INVALID_CONFIG", "bad");
    expect(isGqnError(error)).toBe(true);
    expect(isGqnError(error, "INVALID_CONFIG")).toBe(true);
    expect(isGqnError(error, "IO_ERROR")).toBe(false);
    expect(isGqnError(new Error("plain"))).toBe(false);
    expect(isGqnError({ code: "INVALID_CONFIG" })).toBe(false);
    expect(isGqnError(undefined)).toBe(false);
  });

  it("knows the errors of another copy of @gqn/core, by the shared Symbol.for brand", () => {
    // What a second install's class looks like from here: another constructor, the same brand.
    class OtherCopyError extends Error {
      readonly code = "IO_ERROR";
    }
    const foreign = Object.assign(new OtherCopyError("from a duplicated install"), {
      [Symbol.for("@gqn/core/GqnError")]: true,
    });
    expect(foreign instanceof GqnError).toBe(false);
    expect(isGqnError(foreign)).toBe(true);
    expect(isGqnError(foreign, "IO_ERROR")).toBe(true);
  });
});
