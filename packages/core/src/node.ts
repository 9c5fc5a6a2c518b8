// Node-only entry: what the @gqn packages share that needs node: modules. It re-exports nothing
// of the root entry, so no class is bundled twice.
export { type BuiltModuleQuery, findBuiltModule } from "./built-module.js";
export { processAlive, syncDir, withPath, writeFileAtomic, writeFileSynced } from "./durable-fs.js";
