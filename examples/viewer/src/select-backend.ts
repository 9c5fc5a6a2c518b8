import { registerWasmTrainingKernels } from "@gqn/backend";
// Vite serves the three tfjs-backend-wasm binaries as assets and hands back their URLs.
import wasmPlainUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimdUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimdUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import * as tf from "@tensorflow/tfjs-core";

/** The tfjs backends the viewer can run on, fastest first. */
const VIEWER_BACKENDS = ["webgpu", "webgl", "wasm", "cpu"] as const;

/** A backend of {@link VIEWER_BACKENDS}, or `auto` for the first that works well. */
export type ViewerBackendRequest = (typeof VIEWER_BACKENDS)[number] | "auto";

/** The backend that runs, with what the page shows about it. */
export interface ViewerBackendInfo {
  readonly backend: (typeof VIEWER_BACKENDS)[number];
  /** A line for the page: the GPU adapter, the wasm features, ... */
  readonly detail: string;
  /** Why each faster backend was passed over. */
  readonly skipped: readonly string[];
}

// A software GL (SwiftShader, llvmpipe) runs tfjs' shaders slower than wasm runs its kernels.
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software/i;

/** Per-call choices of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * wasm threads: 1 runs the single-threaded SIMD build (no workers); more needs a
   * cross-origin-isolated page. Default: one per logical core where the page is isolated.
   */
  readonly wasmThreads?: number;
}

type Attempt = (forced: boolean, options: SelectBackendOptions) => Promise<string | { skip: string }>;

const attempts: Record<(typeof VIEWER_BACKENDS)[number], Attempt> = {
  async webgpu(forced) {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return { skip: "webgpu: navigator.gpu is missing" };
    const adapter = (await gpu.requestAdapter().catch(() => null)) as {
      info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
    } | null;
    if (!adapter) return { skip: "webgpu: no adapter" };
    // A software adapter computes right but slowly: taken only when asked for by name.
    if (adapter.info?.isFallbackAdapter && !forced)
      return { skip: "webgpu: only a software (fallback) adapter" };
    await import("@tensorflow/tfjs-backend-webgpu");
    if (!(await setBackend("webgpu"))) return { skip: "webgpu: the backend did not start" };
    return [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(" ") || "GPU adapter";
  },
  async webgl(forced) {
    const renderer = webglRenderer();
    if (!renderer) return { skip: "webgl: no WebGL context" };
    if (SOFTWARE_GL.test(renderer) && !forced) {
      return { skip: `webgl: software renderer (${renderer}), slower than wasm` };
    }
    await import("@tensorflow/tfjs-backend-webgl");
    if (!(await setBackend("webgl"))) return { skip: "webgl: the backend did not start" };
    return renderer;
  },
  async wasm(_forced, options) {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // Threads need SharedArrayBuffer, which only a cross-origin-isolated page has (the COOP and
    // COEP headers in vite.config.ts); elsewhere tfjs' own check fails too, and checking here lets
    // the page say why. The bundled threaded build starts thanks to vite-plugin-tfjs-wasm-threads.ts.
    const isolated = globalThis.crossOriginIsolated === true;
    // One thread per logical core by default: tfjs would take half (one on a 2-core machine), and
    // renders are compute-bound. The plugin lifts tfjs' cap of half the cores, which this cannot pass.
    const threads = Math.max(1, Math.floor(options.wasmThreads ?? (navigator.hardwareConcurrency || 1)));
    if (!isolated || threads === 1) tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    else wasm.setThreadsCount(threads);
    wasm.setWasmPaths({
      "tfjs-backend-wasm.wasm": wasmPlainUrl,
      "tfjs-backend-wasm-simd.wasm": wasmSimdUrl,
      "tfjs-backend-wasm-threaded-simd.wasm": wasmThreadedSimdUrl,
    });
    if (!(await setBackend("wasm"))) return { skip: "wasm: the backend did not start" };
    // The @gqn wasm kernels: explicit SAME padding for strided convolutions, among others.
    registerWasmTrainingKernels();
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const used = wasm.getThreadsCount();
    const note = !isolated && threads > 1 ? "; page not cross-origin isolated" : "";
    return `${simd ? "SIMD" : "no SIMD"}, ${used} thread${used === 1 ? "" : "s"}${note}`;
  },
  async cpu() {
    await import("@tensorflow/tfjs-backend-cpu");
    if (!(await setBackend("cpu"))) return { skip: "cpu: the backend did not start" };
    return "plain JavaScript";
  },
};

async function setBackend(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** The unmasked WebGL renderer string, or undefined when the page gets no WebGL context. */
function webglRenderer(): string | undefined {
  const canvas = document.createElement("canvas");
  const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
  if (!gl) return undefined;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return renderer;
}

/**
 * Starts the requested tfjs backend, or with `auto` the first that runs well here: WebGPU, then
 * WebGL on a hardware GPU, then wasm (SIMD, one thread per core when the page is cross-origin
 * isolated, else one), then cpu.
 * A requested backend that fails falls through to the next ones too, so the page always renders.
 */
export async function selectBackend(
  request: ViewerBackendRequest = "auto",
  options: SelectBackendOptions = {},
): Promise<ViewerBackendInfo> {
  const start = request === "auto" ? 0 : VIEWER_BACKENDS.indexOf(request);
  const skipped: string[] = [];
  for (const backend of VIEWER_BACKENDS.slice(Math.max(0, start))) {
    const result = await attempts[backend](backend === request, options).catch((error: unknown) => ({
      skip: `${backend}: ${error instanceof Error ? error.message : String(error)}`,
    }));
    if (typeof result === "string") return { backend, detail: result, skipped };
    skipped.push(result.skip);
  }
  throw new Error(`selectBackend: no tfjs backend started (${skipped.join("; ")}).`);
}
