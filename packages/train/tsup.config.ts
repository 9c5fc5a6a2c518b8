import { defineConfig } from "tsup";
import { libraryConfig } from "../../tsup.shared.ts";

// gqn-replica is the module createDataParallel's worker threads import (by path) to rebuild the
// model: train({ workers }) points them at dist/gqn-replica.js.
export default defineConfig(
  libraryConfig({
    index: "src/index.ts",
    node: "src/node.ts",
    "gqn-replica": "src/node/gqn-replica-module.ts",
  }),
);
