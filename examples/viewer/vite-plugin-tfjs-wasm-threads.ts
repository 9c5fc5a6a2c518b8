// Lets tfjs-backend-wasm's threaded build (SIMD + pthreads) start in a Vite-bundled page.
//
// Why: each pthread is a Web Worker that loads the Emscripten module from a Blob, and tfjs 4.22
// (dist/backend_wasm.js, `init`) makes that Blob from the *bundled* factory's source text:
//
//   new Blob([`var WasmBackendModuleThreadedSimd = ` + wasmFactoryThreadedSimd.toString()])
//
// Once Vite (rolldown) has converted the CommonJS factory and the minifier has renamed its
// variables, that text refers to names from its enclosing module scope, which the worker does
// not have: every worker dies with "e is not defined" and the backend never starts.
//
// What: this plugin rewrites that one expression to a string literal holding the untouched
// Emscripten file, `wasm-out/tfjs-backend-wasm-threaded-simd.js` beside the module it patches. That
// file is a classic script that declares `var WasmBackendModuleThreadedSimd` (the name the worker
// calls after `importScripts`), so the Blob no longer depends on how the page was bundled. The
// main thread still runs the bundled factory; both are the same Emscripten build of the same .wasm.
//
// Second, the thread cap: tfjs' C++ (src/cc/backend.cc) caps the XNNPACK pool at
// `emscripten_num_logical_cores() / 2`, assuming two hyperthreads per core, and `setThreadsCount`
// cannot go above that: a 2-core machine gets one thread. The plugin makes the Emscripten glue's
// `_emscripten_num_logical_cores` report twice `navigator.hardwareConcurrency`, so the cap becomes
// the logical core count (backend.cc still caps it at 8, the pre-made worker pool) and
// `setThreadsCount` chooses below it. The main thread's (bundled) glue and the worker's copy get
// the same patch.
//
// It runs in `vite build` (a transform before minification) and in `vite` dev, where
// dependencies are pre-bundled by the optimizer (registered as an optimizer plugin too). When a
// tfjs upgrade changes the expression, the build fails here instead of shipping workers that die.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Plugin } from "vite";

/** The module of tfjs-backend-wasm that builds the worker's Blob. */
const BACKEND_MODULE = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/;
/** The threaded build's Emscripten glue (CommonJS), which the main thread runs once bundled. */
const THREADED_GLUE =
  /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
/** The Blob's contents as tfjs 4.x writes them. */
const FACTORY_SOURCE = /`var WasmBackendModuleThreadedSimd = `\s*\+\s*wasmFactoryThreadedSimd\.toString\(\)/;
/** What the glue answers for `emscripten_num_logical_cores()` in a browser. */
const LOGICAL_CORES =
  /(function _emscripten_num_logical_cores\(\)\{[^}]*?)return navigator\["hardwareConcurrency"\]\}/;

/** Makes the glue report twice the logical cores, so backend.cc's halving yields all of them. */
export function patchLogicalCores(glue: string, id: string): string {
  if (!LOGICAL_CORES.test(glue)) {
    throw new Error(
      `tfjs-wasm-threads: ${id} has no _emscripten_num_logical_cores() returning navigator.hardwareConcurrency; ` +
        "check the tfjs-backend-wasm version against vite-plugin-tfjs-wasm-threads.ts.",
    );
  }
  return glue.replace(
    LOGICAL_CORES,
    (_, head: string) => `${head}return 2*navigator["hardwareConcurrency"]}`,
  );
}

/** Rewrites `backend_wasm.js` so the pthread Blob holds the unbundled Emscripten factory. */
export function patchThreadedFactoryBlob(code: string, id: string): string {
  if (!FACTORY_SOURCE.test(code)) {
    throw new Error(
      `tfjs-wasm-threads: ${id} no longer builds its pthread Blob from wasmFactoryThreadedSimd.toString(); ` +
        "check the tfjs-backend-wasm version against vite-plugin-tfjs-wasm-threads.ts.",
    );
  }
  const factoryFile = join(dirname(id), "../wasm-out/tfjs-backend-wasm-threaded-simd.js");
  const factory = patchLogicalCores(readFileSync(factoryFile, "utf8"), factoryFile);
  if (!factory.includes("var WasmBackendModuleThreadedSimd =")) {
    throw new Error(`tfjs-wasm-threads: ${factoryFile} does not declare WasmBackendModuleThreadedSimd.`);
  }
  return code.replace(FACTORY_SOURCE, () => JSON.stringify(factory));
}

/** The transform, in the form both Vite and the dependency optimizer (rolldown) take. */
const transformPlugin = {
  name: "gqn:tfjs-wasm-threads",
  transform: {
    filter: { id: [BACKEND_MODULE, THREADED_GLUE] },
    handler(code: string, id: string) {
      const file = id.split("?")[0] as string;
      const patched = BACKEND_MODULE.test(file)
        ? patchThreadedFactoryBlob(code, file)
        : patchLogicalCores(code, file);
      return { code: patched, map: null };
    },
  },
};

/** Vite plugin: see the comment at the top of this file. */
export function tfjsWasmThreads(): Plugin {
  return {
    ...transformPlugin,
    config() {
      return { optimizeDeps: { rolldownOptions: { plugins: [transformPlugin] } } };
    },
  };
}
