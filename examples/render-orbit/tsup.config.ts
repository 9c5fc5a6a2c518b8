import { defineConfig } from "tsup";

// One runnable file. The @gqn packages stay external and load from their built dist (the root
// `pnpm start` builds them first): their worker threads are separate files beside each package's
// entry, which bundling them into this file would lose.
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  silent: true,
  external: [/^@gqn\//, /^@tensorflow\//],
});
