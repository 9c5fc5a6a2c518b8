import { registerWasmTrainingKernels } from "@gqn/backend";
// Vite serves the three tfjs-backend-wasm binaries as assets and hands back their URLs.
import wasmPlainUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimdUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimdUrl from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import * as tf from "@tensorflow/tfjs-core";

/** The tfjs backends the viewer can run on, fastest first. */
export const VIEWER_BACKENDS = ["webgpu", "webgl", "wasm", "cpu"] as const;

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

type Attempt = (forced: boolean) => Promise<string | { skip: string }>;

const attempts: Record<(typeof VIEWER_BACKENDS)[number], Attempt> = {
  async webgpu() {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return { skip: "webgpu: navigator.gpu is missing" };
    const adapter = (await gpu.requestAdapter().catch(() => null)) as {
      info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
    } | null;
    if (!adapter) return { skip: "webgpu: no adapter" };
    if (adapter.info?.isFallbackAdapter) return { skip: "webgpu: only a software (fallback) adapter" };
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
  async wasm() {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // The threaded build's worker refers to its module by a name that bundlers minify away
    // ("e is not defined" in every worker); one SIMD thread is what a bundled page can rely on.
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    wasm.setWasmPaths({
      "tfjs-backend-wasm.wasm": wasmPlainUrl,
      "tfjs-backend-wasm-simd.wasm": wasmSimdUrl,
      "tfjs-backend-wasm-threaded-simd.wasm": wasmThreadedSimdUrl,
    });
    if (!(await setBackend("wasm"))) return { skip: "wasm: the backend did not start" };
    // The @gqn wasm kernels: explicit SAME padding for strided convolutions, among others.
    registerWasmTrainingKernels();
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = wasm.getThreadsCount();
    return `${simd ? "SIMD" : "no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"}`;
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
export function webglRenderer(): string | undefined {
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
 * WebGL on a hardware GPU, then wasm (threaded when the page is cross-origin isolated), then cpu.
 * A requested backend that fails falls through to the next ones too, so the page always renders.
 */
export async function selectBackend(request: ViewerBackendRequest = "auto"): Promise<ViewerBackendInfo> {
  const start = request === "auto" ? 0 : VIEWER_BACKENDS.indexOf(request);
  const skipped: string[] = [];
  for (const backend of VIEWER_BACKENDS.slice(Math.max(0, start))) {
    const result = await attempts[backend](backend === request).catch((error: unknown) => ({
      skip: `${backend}: ${error instanceof Error ? error.message : String(error)}`,
    }));
    if (typeof result === "string") return { backend, detail: result, skipped };
    skipped.push(result.skip);
  }
  throw new Error(`selectBackend: no tfjs backend started (${skipped.join("; ")}).`);
}
