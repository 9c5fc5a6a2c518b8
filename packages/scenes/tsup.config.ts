import { defineConfig } from "tsup";
import { libraryConfig } from "../../tsup.shared.ts";

// The worker script is its own entry: writeSyntheticDataset starts it from dist/ beside node.js.
export default defineConfig(
  libraryConfig({ index: "src/index.ts", node: "src/node.ts", "synth-worker": "src/synth-worker.ts" }),
);
