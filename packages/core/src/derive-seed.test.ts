import { describe, expect, it } from "vitest";
import { deriveSeed } from "./derive-seed.js";

describe("deriveSeed", () => {
  it("is a pure function of its arguments, in [1, 2^31 - 1]", () => {
    expect(deriveSeed(7, "draw", 3)).toBe(deriveSeed(7, "draw", 3));
    for (const seed of [0, -1, 1, 2 ** 31, -(2 ** 40), Number.MAX_SAFE_INTEGER]) {
      for (const salts of [[], ["x"], [0], [5, "prior"]] as (number | string)[][]) {
        const derived = deriveSeed(seed, ...salts);
        expect(Number.isInteger(derived)).toBe(true);
        expect(derived).toBeGreaterThanOrEqual(1);
        expect(derived).toBeLessThanOrEqual(2 ** 31 - 1);
      }
    }
  });

  it("gives distinct seeds for neighbouring parents, salts and salt orders", () => {
    const seen = new Set<number>();
    for (let seed = -50; seed < 50; seed++) {
      for (let step = 0; step < 50; step++) {
        seen.add(deriveSeed(seed, "prior", step));
        seen.add(deriveSeed(seed, "posterior", step));
      }
    }
    // 10,000 draws from 2^31 values: a collision or two is chance, a pattern is not.
    expect(seen.size).toBeGreaterThan(9_990);
    expect(deriveSeed(1, "a", 2)).not.toBe(deriveSeed(1, 2, "a"));
    expect(deriveSeed(1, "ab")).not.toBe(deriveSeed(1, "a", "b"));
    // Parents 2^32 apart differ: both 32-bit halves are mixed in.
    expect(deriveSeed(5)).not.toBe(deriveSeed(5 + 2 ** 32));
    expect(deriveSeed(-1)).not.toBe(deriveSeed(2 ** 32 - 1));
  });

  it("spreads its values evenly (low bits included)", () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const bucket = deriveSeed(i, "bucket") % 16;
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });

  it("rejects seeds that are not safe integers", () => {
    expect(() => deriveSeed(1.5)).toThrow("deriveSeed: seed must be a safe integer, but got 1.5.");
    expect(() => deriveSeed(1, Number.NaN)).toThrow("deriveSeed: salt must be a safe integer, but got NaN.");
  });
});
