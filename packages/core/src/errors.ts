/**
 * Stable error codes. Callers branch on `code`, never on message text; new codes may be added,
 * existing ones never change meaning.
 */
export type GqnErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_CONFIG"
  | "SHAPE_MISMATCH"
  | "BACKEND_UNAVAILABLE"
  | "CORRUPT_RECORD"
  | "MISSING_FILES"
  | "IO_ERROR"
  | "NON_FINITE"
  | "CHECKPOINT_ERROR"
  | "OUT_OF_MEMORY"
  | "UNSUPPORTED";

/**
 * Marks a GqnError across copies of this package: two installs of @gqn/core (a dependency of a
 * dependency) have two GqnError classes, so `instanceof` alone would miss the other's errors.
 */
const GQN_ERROR = Symbol.for("@gqn/core/GqnError");

/** The base of every error the `@gqn` packages throw. */
export class GqnError extends Error {
  readonly code: GqnErrorCode;
  readonly [GQN_ERROR] = true;

  constructor(code: GqnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GqnError";
    this.code = code;
  }
}

/** True for any error thrown by a `@gqn` package (of any installed copy), optionally of one code. */
export function isGqnError(error: unknown, code?: GqnErrorCode): error is GqnError {
  const branded =
    error instanceof GqnError ||
    (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[GQN_ERROR] === true);
  return branded && (code === undefined || (error as GqnError).code === code);
}
