import { defineConfig } from "tsup";
import { libraryConfig } from "../../tsup.shared.ts";

// The decode worker is its own entry: createSceneBatches starts it from dist/ beside node.js.
export default defineConfig(
  libraryConfig({ index: "src/index.ts", node: "src/node.ts", "decode-worker": "src/decode-worker.ts" }),
);
