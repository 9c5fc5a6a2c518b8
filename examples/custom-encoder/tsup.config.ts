import { defineConfig } from "tsup";

// One runnable file. The @gqn packages are bundled from their sources (the @gqn/source
// condition), so `pnpm start` needs no build of them; tfjs stays external, one engine.
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  silent: true,
  noExternal: [/^@gqn\//],
  external: [/^@tensorflow\//],
  esbuildOptions(options) {
    options.conditions = ["@gqn/source"];
  },
});
