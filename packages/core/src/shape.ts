import { GqnError } from "./errors.js";

/** A dimension that must equal a number, or any size (`null`). */
export type DimSpec = number | null;

/** Formats a shape as `[8, 64, 64, 3]`, with `?` for free dimensions. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}

/**
 * Throws a SHAPE_MISMATCH error in the house form
 * `Where: what must have shape [N, 64, 64, 3], but got [8, 84, 84, 3].`
 */
export function assertShape(
  shape: readonly number[],
  expected: readonly DimSpec[],
  where: string,
  what: string,
): void {
  const ok = shape.length === expected.length && expected.every((dim, i) => dim === null || dim === shape[i]);
  if (!ok) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `${where}: ${what} must have shape ${formatShape(expected)}, but got ${formatShape(shape)}.`,
    );
  }
}
