import { defineConfig } from "tsup";
import { libraryConfig } from "../../tsup.shared.ts";

// cli is the bins' entry (bin/*.mjs import dist/cli.js); it is not in the exports map.
export default defineConfig(libraryConfig({ index: "src/index.ts", node: "src/node.ts", cli: "src/cli.ts" }));
