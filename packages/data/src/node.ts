// Node-only entry (file system, workers). Re-exports the platform-neutral API too.
export * from "./index.js";
