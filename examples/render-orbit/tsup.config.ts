import { defineConfig } from "tsup";

// Self-contained (no import from the repository), so the example works when copied out of it:
// one ESM file, the @gqn and tfjs packages loaded from node_modules (their worker threads and
// codecs are files beside their entries, which bundling would lose).
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  silent: true,
  external: [/^@gqn\//, /^@tensorflow\//],
});
