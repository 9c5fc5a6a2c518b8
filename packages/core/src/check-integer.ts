import { GqnError, type GqnErrorCode } from "./errors.js";

/** The range and error code of {@link checkInteger}. */
export interface IntegerRange {
  /** Smallest value accepted; default 1 (a positive integer). */
  min?: number;
  /** Largest value accepted; default none. */
  max?: number;
  /** The error's code; default `INVALID_ARGUMENT` (`INVALID_CONFIG` for config fields). */
  code?: GqnErrorCode;
}

/**
 * Returns `value` when it is an integer in `[min, max]` (by default: a positive integer), else
 * throws a GqnError in the house form `where: name must be a positive integer, but got 0.` The
 * one check behind every integer option and config field of the @gqn packages.
 */
export function checkInteger(value: unknown, where: string, name: string, range: IntegerRange = {}): number {
  const { min = 1, max, code = "INVALID_ARGUMENT" } = range;
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= min &&
    (max === undefined || value <= max)
  ) {
    return value;
  }
  const wanted =
    max !== undefined
      ? `an integer in [${min}, ${max}]`
      : min === 1
        ? "a positive integer"
        : min === 0
          ? "a non-negative integer"
          : `an integer >= ${min}`;
  const got = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  throw new GqnError(code, `${where}: ${name} must be ${wanted}, but got ${got}.`);
}
