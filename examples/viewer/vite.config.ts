import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig({
  // Relative asset URLs: the built page works from any sub-path (GitHub Pages, a file server).
  base: "./",
  // Workspace packages are read from their TypeScript sources, so the page needs no prior build.
  resolve: { conditions: ["@gqn/source", ...defaultClientConditions] },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
  build: { target: "es2022", chunkSizeWarningLimit: 4096 },
  worker: { format: "es" },
});
