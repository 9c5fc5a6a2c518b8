import { GqnError } from "@gqn/core";

/** What a WebGPU adapter says of itself, as far as backend choice needs it. */
export interface WebgpuAdapterInfo {
  /** The adapter's description (e.g. "NVIDIA GeForce RTX 4090", "llvmpipe: Mesa 25.0.7"). */
  readonly description: string;
  /** A software rasteriser (lavapipe/llvmpipe, SwiftShader, WARP): correct results, CPU speed. */
  readonly software: boolean;
}

/** The install command of Node's WebGPU (Dawn) and tfjs's backend for it. */
export const WEBGPU_INSTALL_HINT = "npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0";

/** What to install when WebGPU loads but finds no adapter. */
const WEBGPU_DRIVER_HINT =
  "no WebGPU adapter: install a Vulkan driver (Linux: your GPU's driver, or Mesa 24+'s software one: apt-get install mesa-vulkan-drivers libvulkan1, from bookworm-backports on Debian 12), or run on macOS (Metal) or Windows (D3D12)";

/** The parts of `navigator.gpu` used here (the `webgpu` package's `create([])` in Node). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: {
    description?: string;
    vendor?: string;
    architecture?: string;
    device?: string;
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
}

// Adapters whose "GPU" is the CPU. Dawn flags lavapipe as a fallback adapter; names catch the rest.
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|warp/i;

/**
 * `navigator.gpu`, installing Dawn's from the `webgpu` package in Node when the global lacks one
 * (with the WebGPU constants tfjs's backend reads: GPUBufferUsage, GPUMapMode...). Undefined when
 * neither exists; `failures` then says what to install.
 */
export async function navigatorGpu(
  importModule: (name: string) => Promise<unknown>,
  failures: string[],
): Promise<GpuLike | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (nav?.gpu) return nav.gpu;
  let dawn: { create?: (flags: string[]) => GpuLike; globals?: Record<string, unknown> };
  try {
    dawn = (await importModule("webgpu")) as typeof dawn;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    failures.push(
      `webgpu (Dawn for Node) could not be loaded (${reason}); to install it: ${WEBGPU_INSTALL_HINT}`,
    );
    return undefined;
  }
  if (typeof dawn.create !== "function") {
    failures.push(`the "webgpu" package has no create(): install ${WEBGPU_INSTALL_HINT}`);
    return undefined;
  }
  const gpu = dawn.create([]);
  for (const [name, value] of Object.entries(dawn.globals ?? {})) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  if (nav) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/** The adapter tfjs's WebGPU backend will take (high-performance), or undefined with the reason. */
export async function webgpuAdapter(
  gpu: GpuLike,
  failures: string[],
): Promise<WebgpuAdapterInfo | undefined> {
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    failures.push(`WebGPU: requestAdapter failed (${(error as Error).message}); ${WEBGPU_DRIVER_HINT}`);
    return undefined;
  }
  if (!adapter) {
    failures.push(WEBGPU_DRIVER_HINT);
    return undefined;
  }
  return describeAdapter(adapter);
}

export function describeAdapter(adapter: AdapterLike): WebgpuAdapterInfo {
  const info = adapter.info ?? {};
  const description =
    info.description ||
    [info.vendor, info.architecture, info.device].filter(Boolean).join(" ") ||
    "unnamed adapter";
  const software =
    info.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    info.architecture === "software" ||
    SOFTWARE_NAMES.test(`${description} ${info.device ?? ""}`);
  return { description, software };
}

/**
 * In Node, asks a child process what adapter Dawn finds: a machine without a driver makes Dawn
 * print Vulkan warnings on the process's stderr, and a broken driver can crash it, so `auto`
 * does not load Dawn into the process before it knows an adapter is there. Undefined where the
 * `webgpu` package is not installed or no adapter exists (the reason goes to `failures`).
 */
async function probeAdapterInChild(failures: string[]): Promise<WebgpuAdapterInfo | undefined> {
  const { createRequire } = await import("node:module");
  const { join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const { execFile } = await import("node:child_process");
  let entry: string;
  try {
    entry = resolveFrom(createRequire(import.meta.url), createRequire(join(process.cwd(), "noop.js")));
  } catch {
    failures.push(`webgpu (Dawn for Node) is not installed; to install it: ${WEBGPU_INSTALL_HINT}`);
    return undefined;
  }
  const script = `const { create } = await import(${JSON.stringify(pathToFileURL(entry).href)});
const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
const i = adapter?.info ?? {};
process.stdout.write(JSON.stringify(adapter ? { found: true, info: { description: i.description, vendor: i.vendor, architecture: i.architecture, device: i.device, isFallbackAdapter: i.isFallbackAdapter } } : { found: false }));
process.exit(0);`;
  const output = await new Promise<{ stdout: string; error?: Error }>((resolve) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { timeout: 30_000, windowsHide: true },
      (error, stdout) => resolve({ stdout: String(stdout), ...(error && { error }) }),
    );
  });
  let parsed: { found?: boolean; info?: AdapterLike["info"] };
  try {
    parsed = JSON.parse(output.stdout);
  } catch {
    failures.push(
      `WebGPU: the adapter probe ended without an answer (${output.error?.message.split("\n")[0] ?? "no output"})`,
    );
    return undefined;
  }
  if (!parsed.found) {
    failures.push(WEBGPU_DRIVER_HINT);
    return undefined;
  }
  return describeAdapter({ info: parsed.info ?? {} });
}

/** Where WebGPU stands on this machine: its adapter, or the one line that says why there is none. */
export type WebgpuAvailability =
  | { adapter: WebgpuAdapterInfo; reason?: undefined }
  | { adapter?: undefined; reason: string };

/**
 * Finds the adapter tfjs's WebGPU backend would run on, without activating anything: in a
 * browser from `navigator.gpu`, in Node from the `webgpu` package in a child process (see
 * {@link probeAdapterInChild}). For choosing a backend, and for tests that need a GPU to skip,
 * saying why, where there is none.
 */
export async function findWebgpuAdapter(
  options: { importModule?: (name: string) => Promise<unknown> } = {},
): Promise<WebgpuAvailability> {
  const failures: string[] = [];
  const inNode = typeof process !== "undefined" && Boolean(process.versions?.node);
  const hasGlobalGpu = Boolean((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu);
  let adapter: WebgpuAdapterInfo | undefined;
  if (inNode && !hasGlobalGpu && !options.importModule) {
    adapter = await probeAdapterInChild(failures);
  } else {
    const gpu = await navigatorGpu(
      options.importModule ?? ((name) => import(/* @vite-ignore */ name)),
      failures,
    );
    adapter = gpu && (await webgpuAdapter(gpu, failures));
  }
  return adapter ? { adapter } : { reason: failures.join("; ") || "WebGPU is not available" };
}

function resolveFrom(...requires: NodeJS.Require[]): string {
  for (const require of requires) {
    try {
      return require.resolve("webgpu");
    } catch {
      // the next place
    }
  }
  throw new GqnError("BACKEND_UNAVAILABLE", "webgpu is not installed");
}
