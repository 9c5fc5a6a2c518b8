import { GqnError } from "./errors.js";
import { mix32 } from "./random.js";

/** The largest seed handed out: tfjs's seeded ops and initialisers take 31-bit integers. */
const MAX_SEED = 2 ** 31 - 1;

/**
 * The one way a seed becomes the seeds of its parts: `deriveSeed(seed, "draw")`,
 * `deriveSeed(seed, "prior", step)`. The same arguments always give the same seed, different
 * salts unrelated ones, and the result is an integer in [1, 2^31 - 1]: never 0, which tfjs's
 * random ops read as "no seed". Any safe integer is a valid parent, 0 and negatives included.
 *
 * @throws GqnError `INVALID_ARGUMENT` when `seed` or a numeric salt is not a safe integer.
 */
export function deriveSeed(seed: number, ...salts: readonly (number | string)[]): number {
  let h = mixInteger(0x2545f491, seed, "seed");
  for (const salt of salts) {
    h = typeof salt === "string" ? mix32(h ^ hashString(salt)) : mixInteger(h, salt, "salt");
  }
  return (h % MAX_SEED) + 1;
}

/** Mixes a safe integer, both 32-bit halves of it, into the running hash `h`. */
function mixInteger(h: number, value: number, what: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new GqnError("INVALID_ARGUMENT", `deriveSeed: ${what} must be a safe integer, but got ${value}.`);
  }
  const low = value >>> 0; // two's complement for negatives
  const high = Math.floor(value / 2 ** 32) >>> 0;
  return mix32(mix32(h ^ low) ^ Math.imul(high + 1, 0x9e3779b9));
}

/** FNV-1a over the UTF-16 code units. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
