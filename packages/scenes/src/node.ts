// Node-only entry (file system, worker threads, the CLI). Re-exports the platform-neutral API too.
export * from "./index.js";
