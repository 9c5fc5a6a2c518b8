import { describe, expect, it } from "vitest";
import { Random } from "./random.js";

describe("Random", () => {
  it("repeats a sequence for the same seed and differs for another", () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it("resumes from a saved state", () => {
    const a = new Random(7);
    a.next();
    const resumed = Random.fromState(a.getState());
    expect(resumed.next()).toBe(a.next());
  });

  it("draws uniform values in range with the right mean", () => {
    const random = new Random(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const x = random.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });

  it("draws normals with mean 0 and variance 1", () => {
    const random = new Random(3);
    const xs = Array.from({ length: 20000 }, () => random.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it("makes permutations", () => {
    const p = new Random(9).permutation(10);
    expect([...p].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
