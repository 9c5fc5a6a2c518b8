import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";
import { tfjsWasmThreads } from "./vite-plugin-tfjs-wasm-threads.js";

/**
 * Cross-origin isolation: without it a page has no SharedArrayBuffer, so tfjs' wasm backend
 * runs on one thread. A static host that cannot send these headers still works, single-threaded.
 */
const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  // Relative asset URLs: the built page works from any sub-path (GitHub Pages, a file server).
  base: "./",
  // Workspace packages are read from their TypeScript sources, so the page needs no prior build.
  resolve: { conditions: ["@gqn/source", ...defaultClientConditions] },
  plugins: [tfjsWasmThreads()],
  server: { host: "127.0.0.1", headers: CROSS_ORIGIN_ISOLATION },
  preview: { host: "127.0.0.1", headers: CROSS_ORIGIN_ISOLATION },
  // Two pages: the viewer, and the trainer (train.html).
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        viewer: fileURLToPath(new URL("./index.html", import.meta.url)),
        train: fileURLToPath(new URL("./train.html", import.meta.url)),
      },
    },
  },
  worker: { format: "es" },
});
