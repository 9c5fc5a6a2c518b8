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
  | "UNSUPPORTED";

/** The base of every error the `@gqn` packages throw. */
export class GqnError extends Error {
  readonly code: GqnErrorCode;

  constructor(code: GqnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GqnError";
    this.code = code;
  }
}

/** True for any error thrown by a `@gqn` package, optionally of one code. */
export function isGqnError(error: unknown, code?: GqnErrorCode): error is GqnError {
  return error instanceof GqnError && (code === undefined || error.code === code);
}
