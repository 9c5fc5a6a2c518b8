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

/**
 * The recipe of a runnable example: one ESM file, dist/main.js. The @gqn packages stay external
 * and load from their built dist (the root `pnpm start` builds them first): their worker threads
 * and native codecs are files beside each package's entry, which bundling them would lose.
 */
export function exampleConfig(entry = "src/main.ts"): Options {
  return {
    entry: { main: entry },
    format: ["esm"],
    platform: "node",
    target: "node20",
    clean: true,
    silent: true,
    external: [/^@gqn\//, /^@tensorflow\//],
  };
}
