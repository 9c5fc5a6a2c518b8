import { defineConfig } from "tsup";
import { libraryConfig } from "../../tsup.shared.ts";

// replica-worker is the worker-thread entry of createDataParallel: loaded by path, never
// imported, so it needs no type declarations.
export default defineConfig(
  libraryConfig(
    { index: "src/index.ts", node: "src/node.ts", "replica-worker": "src/data-parallel/replica-worker.ts" },
    { dts: { entry: { index: "src/index.ts", node: "src/node.ts" } } },
  ),
);
