import type { Options } from "tsup";

/**
 * One tsup recipe for every library: ESM + CJS + .d.ts, dependencies and peers kept external
 * (tsup externalises what package.json lists; a forgotten peer would ship a second tfjs engine).
 */
export function libraryConfig(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    shims: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
