// gqn-train's flag parsers beyond @gqn/core/cli's: counts or ranges, schedules, Adam's betas.
import { InvalidArgumentError } from "@gqn/core/cli";

/** A count N >= 1, or `MIN-MAX` / `MIN:MAX` drawn per batch (`--context-size`, `--draw-steps`). */
export function countOrRange(value: string): number | { min: number; max: number } {
  const range = /^(\d+)\s*[-:]\s*(\d+)$/.exec(value.trim());
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min >= 1 && max >= min) return { min, max };
  } else if (/^\d+$/.test(value.trim()) && Number(value) >= 1) {
    return Number(value);
  }
  throw new InvalidArgumentError("expected N >= 1, or MIN-MAX with 1 <= MIN <= MAX.");
}

/**
 * A linear schedule `START:END:STEPS` (e.g. `5e-4:5e-5:1.6e6`), or one number for a constant
 * (`--lr`, `--sigma`).
 */
export function schedule(value: string): { start: number; end: number; steps: number } {
  const parts = value.split(":").map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
  const [start, end, steps] = parts.length === 1 ? [parts[0], parts[0], 1] : parts;
  const valid = [start, end, steps].every((n) => n !== undefined && Number.isFinite(n) && n > 0);
  if (!valid || (parts.length !== 1 && parts.length !== 3)) {
    throw new InvalidArgumentError(
      "expected START:END:STEPS (positive numbers, e.g. 5e-4:5e-5:1.6e6), or one number.",
    );
  }
  return { start: start as number, end: end as number, steps: steps as number };
}

/** A number in [0, 1) (`--adam-beta1`, `--adam-beta2`). */
export function unitInterval(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError("expected a number in [0, 1).");
  return n;
}
