import { GqnError } from "@gqn/core";

// tfjs-backend-wasm's heap grows up to 4 GiB; past that its malloc returns 0 (NULL) instead of
// failing, and the backend does not check: it registers the new tensor at address 0 and kernels
// write it there, over the runtime's own static data and stack. The runtime then aborts
// ("Aborted()", "memory access out of bounds") a few kernels later, in whichever op comes next
// (a tf-gqn DRAW step at batch 4: a filter-gradient Transpose got NULL, a Sum aborted). Sizes of
// 4 GiB or more are worse still: the wasm call takes them modulo 2^32, so a small block comes back.

/** The largest byte count a wasm32 allocation can express. */
const MAX_BYTES = 2 ** 32 - 1;

/** The part of the emscripten module tfjs-backend-wasm allocates through. */
interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

const guarded = new WeakSet<object>();

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * Makes every allocation of a tfjs-backend-wasm backend throw a `GqnError` (`OUT_OF_MEMORY`) when
 * the wasm heap cannot hold it, instead of handing out address 0. The runtime stays usable after
 * the error. Idempotent; does nothing for other backends.
 */
export function guardWasmHeap(backend: object): void {
  const wasm = (backend as { wasm?: Partial<WasmModule> }).wasm;
  if (!wasm || typeof wasm._malloc !== "function" || guarded.has(wasm)) return;
  let malloc = wasm._malloc.bind(wasm);
  const checked = (bytes: number): number => {
    const heap = (wasm as WasmModule).HEAPU8.buffer.byteLength;
    if (bytes > MAX_BYTES) {
      throw new GqnError(
        "OUT_OF_MEMORY",
        `wasm backend: a tensor must fit in the 4 GB wasm heap, but needs ${mb(bytes)}.`,
      );
    }
    const address = malloc(bytes);
    if (address === 0 && bytes > 0) {
      throw new GqnError(
        "OUT_OF_MEMORY",
        `wasm backend: the wasm heap is full (${mb(heap)}, at most 4 GB): cannot allocate ${mb(bytes)}. ` +
          "Use smaller batches (createDataParallel's microBatchSize, gqn-train --micro-batch).",
      );
    }
    return address;
  };
  // emscripten's first `_malloc` is a stub that assigns the raw export to `_malloc` and calls it:
  // an accessor keeps the check in place and takes that export as the function to call.
  Object.defineProperty(wasm, "_malloc", {
    configurable: true,
    enumerable: true,
    get: () => checked,
    set: (raw: (bytes: number) => number) => {
      malloc = raw;
    },
  });
  guarded.add(wasm);
}
