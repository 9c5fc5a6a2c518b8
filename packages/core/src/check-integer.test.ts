import { describe, expect, it } from "vitest";
import { checkInteger } from "./check-integer.js";
import { isGqnError } from "./errors.js";

describe("checkInteger", () => {
  it("returns integers in range", () => {
    expect(checkInteger(3, "f", "n")).toBe(3);
    expect(checkInteger(0, "f", "n", { min: 0 })).toBe(0);
    expect(checkInteger(100, "f", "q", { min: 1, max: 100 })).toBe(100);
  });

  it("names the function, the option, the range and the value", () => {
    expect(() => checkInteger(0, "f", "n")).toThrow("f: n must be a positive integer, but got 0.");
    expect(() => checkInteger(1.5, "f", "n")).toThrow("f: n must be a positive integer, but got 1.5.");
    expect(() => checkInteger(Number.NaN, "f", "n")).toThrow("f: n must be a positive integer, but got NaN.");
    expect(() => checkInteger("2", "f", "n")).toThrow('f: n must be a positive integer, but got "2".');
    expect(() => checkInteger(undefined, "f", "n")).toThrow(
      "f: n must be a positive integer, but got undefined.",
    );
    expect(() => checkInteger(-1, "f", "n", { min: 0 })).toThrow(
      "f: n must be a non-negative integer, but got -1.",
    );
    expect(() => checkInteger(1, "f", "n", { min: 2 })).toThrow("f: n must be an integer >= 2, but got 1.");
    expect(() => checkInteger(101, "f", "q", { max: 100 })).toThrow(
      "f: q must be an integer in [1, 100], but got 101.",
    );
  });

  it("throws INVALID_ARGUMENT, or the code asked for", () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isGqnError(error) ? error.code : "not a GqnError";
      }
      return "no error";
    };
    expect(codeOf(() => checkInteger(0, "f", "n"))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => checkInteger(0, "f", "n", { code: "INVALID_CONFIG" }))).toBe("INVALID_CONFIG");
  });
});
