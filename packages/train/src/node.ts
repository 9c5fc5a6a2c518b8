// Node-only entry (files, CLIs, workers). Re-exports the platform-neutral API too.
export * from "./index.js";
