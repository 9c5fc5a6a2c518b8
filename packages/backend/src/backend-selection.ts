import { GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { registerFusedKernels } from "./fused/index.js";
import { registerWasmTrainingKernels } from "./register-wasm-training-kernels.js";
import { registerTrainingGradients } from "./tile-gradient.js";
import { trainingProbeMs } from "./webgpu/speed-check.js";
import {
  findWebgpuAdapter,
  navigatorGpu,
  WEBGPU_INSTALL_HINT,
  type WebgpuAdapterInfo,
  webgpuAdapter,
} from "./webgpu/webgpu-adapter.js";

/**
 * What a user may ask for. `auto` tries tensorflow (GPU, then CPU), then WebGPU on a hardware
 * adapter that a quick check finds faster than wasm, then wasm, then cpu.
 */
export type BackendRequest = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

/** The tfjs backend that ended up running, and the package that provides it. */
export interface BackendInfo {
  /** The tfjs backend name (`tensorflow`, `webgpu`, `wasm` or `cpu`). */
  readonly backend: "tensorflow" | "webgpu" | "wasm" | "cpu";
  /** The npm package that registered it. */
  readonly packageName: string;
  /** True when it runs on a GPU: tfjs-node-gpu, or WebGPU on a hardware adapter. */
  readonly gpu: boolean;
  /** WebGPU only: the adapter it runs on. */
  readonly adapter?: WebgpuAdapterInfo;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Which backend to run; default `auto`. */
  backend?: BackendRequest;
  /** Where to report the choice; default `console.error`. Pass `() => {}` for silence. */
  log?: (message: string) => void;
  /**
   * Directory (or URL prefix, in a browser) holding the tfjs-backend-wasm `.wasm` files. Found
   * automatically in Node; needed in a browser bundle.
   */
  wasmPath?: string;
  /**
   * Module loader, for tests and exotic bundlers. Receives a package name, returns the module or
   * throws when it is missing. Default: dynamic `import()`.
   */
  importModule?: (packageName: string) => Promise<unknown>;
}

/** The install command that provides each optional backend package. */
const INSTALL_HINTS: Readonly<Record<string, string>> = {
  "@tensorflow/tfjs-node-gpu":
    "npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux x86-64 with CUDA 11.2 + cuDNN 8.1; downloads libtensorflow 2.9.1 at install)",
  "@tensorflow/tfjs-node":
    "npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow at install, from outside the npm registry)",
  "@tensorflow/tfjs-backend-wasm": "npm install @tensorflow/tfjs-backend-wasm@4.22.0",
  "@tensorflow/tfjs-backend-cpu": "npm install @tensorflow/tfjs-backend-cpu@4.22.0",
  "@tensorflow/tfjs-backend-webgpu": WEBGPU_INSTALL_HINT,
};

const BACKEND_REQUESTS: readonly BackendRequest[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

let gradientsChecked = false;

/**
 * Makes sure tfjs gradients are registered, exactly once per process. tfjs-core's CommonJS bundle
 * (the one Node loads) registers none; tfjs-layers registers them all when it loads.
 */
async function ensureGradients(
  importModule: (name: string) => Promise<unknown> = defaultImport,
): Promise<void> {
  if (gradientsChecked) return;
  if (!tf.getGradient("Conv2D")) await importModule("@tensorflow/tfjs-layers");
  if (!tf.getGradient("Conv2D")) {
    throw new GqnError(
      "BACKEND_UNAVAILABLE",
      "ensureGradients: importing @tensorflow/tfjs-layers registered no gradients; check that it and @tensorflow/tfjs-core are the same version and resolve to one copy.",
    );
  }
  gradientsChecked = true;
}

/**
 * Picks, loads and activates a tfjs backend: the one module every `@gqn` entry point calls.
 *
 * - `auto`: `@tensorflow/tfjs-node-gpu` if it loads, else `@tensorflow/tfjs-node`, else WebGPU where
 *   a hardware adapter exists and a quick check (a 5x5 convolution and both its gradients)
 *   finds it faster than wasm, else wasm, else cpu. A software adapter (lavapipe, SwiftShader) is never picked.
 * - `tensorflow`: tfjs-node-gpu or tfjs-node, else a BACKEND_UNAVAILABLE error with the install command.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` on `navigator.gpu` (in Node, Dawn's from the
 *   `webgpu` package), on any adapter, software ones included; else the same kind of error, whose
 *   line says what to install (the packages, or a driver).
 * - `wasm` / `cpu`: that backend, else the same kind of error.
 *
 * It also registers gradients once (with a faster `tf.tile` gradient), the fused kernels (the
 * ConvLSTM cell, bilinear sampling, attention reads) for wasm and cpu, the wasm training kernels
 * ({@link registerWasmTrainingKernels}) when wasm is picked, and logs the choice.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const request = options.backend ?? "auto";
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `initBackend: backend must be one of ${BACKEND_REQUESTS.join(", ")}, but got "${String(request)}".`,
    );
  }
  const importModule = options.importModule ?? defaultImport;
  const log = options.log ?? ((message: string) => console.error(message));
  await ensureGradients(importModule);
  registerTrainingGradients();
  registerFusedKernels();

  const failures: string[] = [];
  // Why auto passed over a backend that is there (a GPU slower than wasm), for the log line.
  const notes: string[] = [];
  const attempts = attemptsFor(request);
  for (const attempt of attempts) {
    const info = await attempt(importModule, options, failures, notes);
    if (info) {
      const where = info.adapter
        ? ` on ${info.adapter.description}${info.adapter.software ? " (software)" : ""}`
        : "";
      const passed = notes.length > 0 ? ` (${notes.join("; ")})` : "";
      log(
        `[gqn] backend: ${info.backend}${info.gpu ? " (GPU)" : ""}${where} from ${info.packageName}${passed}`,
      );
      return info;
    }
  }
  const missing = failures.map((f) => `  - ${f}`).join("\n");
  throw new GqnError(
    "BACKEND_UNAVAILABLE",
    `initBackend: backend "${request}" is not available.\n${missing}`,
  );
}

type Attempt = (
  importModule: (name: string) => Promise<unknown>,
  options: InitBackendOptions,
  failures: string[],
  notes: string[],
) => Promise<BackendInfo | undefined>;

function attemptsFor(request: BackendRequest): Attempt[] {
  switch (request) {
    case "tensorflow":
      return [tryTensorflow];
    case "webgpu":
      return [tryWebgpu];
    case "wasm":
      return [tryWasm];
    case "cpu":
      return [tryCpu];
    default:
      return [tryTensorflow, tryWebgpuIfFaster, tryWasm, tryCpu];
  }
}

const tryTensorflow: Attempt = async (importModule, _options, failures) => {
  for (const [packageName, gpu] of [
    ["@tensorflow/tfjs-node-gpu", true],
    ["@tensorflow/tfjs-node", false],
  ] as const) {
    if (!(await loads(importModule, packageName, failures))) continue;
    if (await activate("tensorflow")) return { backend: "tensorflow", packageName, gpu };
    failures.push(`${packageName} loaded but its "tensorflow" backend did not start`);
  }
  return undefined;
};

const WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu";

/** `--backend webgpu`: tfjs's WebGPU backend on whatever adapter there is. */
const tryWebgpu: Attempt = async (importModule, _options, failures) => {
  const gpu = await navigatorGpu(importModule, failures);
  if (!gpu) return undefined;
  const adapter = await webgpuAdapter(gpu, failures);
  if (!adapter) return undefined;
  return activateWebgpu(importModule, adapter, failures);
};

/**
 * `auto`'s WebGPU: only on a hardware adapter, and only when it runs the training probe faster
 * than wasm. In Node the adapter is first looked for in a child process (see
 * probeAdapterInChild), so that a machine without a driver or the package stays quiet.
 */
const tryWebgpuIfFaster: Attempt = async (importModule, options, failures, notes) => {
  // auto says nothing of a WebGPU that is not there, or is a CPU.
  const { adapter } = await findWebgpuAdapter(options.importModule ? { importModule } : {});
  if (!adapter || adapter.software) return undefined;
  const info = await tryWebgpu(importModule, options, failures, notes);
  if (!info) return undefined;
  const webgpuMs = await trainingProbeMs();
  // Without wasm there is nothing to compare with; its own attempt reports it later.
  const wasm = await tryWasm(importModule, options, [], notes);
  if (!wasm) {
    await tf.setBackend("webgpu");
    return info;
  }
  const wasmMs = await trainingProbeMs();
  if (webgpuMs < wasmMs) {
    await tf.setBackend("webgpu");
    return info;
  }
  notes.push(
    `WebGPU on ${adapter.description} was slower than wasm in a quick check: ${webgpuMs.toFixed(0)} against ${wasmMs.toFixed(0)} ms; --backend webgpu takes it anyway`,
  );
  return wasm;
};

async function activateWebgpu(
  importModule: (name: string) => Promise<unknown>,
  adapter: WebgpuAdapterInfo,
  failures: string[],
): Promise<BackendInfo | undefined> {
  if (!(await loads(importModule, WEBGPU_PACKAGE, failures))) return undefined;
  // Small inputs that live on the CPU would otherwise be computed there: no op of a step leaves
  // the GPU unseen.
  // (Only tfjs's own WebGPU backend has the flag; another registered as "webgpu" may not.)
  if (isRegisteredFlag("WEBGPU_CPU_FORWARD")) {
    tf.env().set("WEBGPU_CPU_FORWARD", false);
  }
  if (await activate("webgpu")) {
    return { backend: "webgpu", packageName: WEBGPU_PACKAGE, gpu: !adapter.software, adapter };
  }
  failures.push(`${WEBGPU_PACKAGE} loaded but its "webgpu" backend did not start on ${adapter.description}`);
  return undefined;
}

const tryWasm: Attempt = async (importModule, options, failures) => {
  const packageName = "@tensorflow/tfjs-backend-wasm";
  const wasm = await loads(importModule, packageName, failures);
  if (!wasm) return undefined;
  const wasmPath = options.wasmPath ?? (await locateWasmFiles());
  const setWasmPaths = (wasm as { setWasmPaths?: (prefix: string) => void }).setWasmPaths;
  if (wasmPath && setWasmPaths && tf.getBackend() !== "wasm") setWasmPaths(wasmPath);
  if (await activate("wasm")) {
    registerWasmTrainingKernels();
    return { backend: "wasm", packageName, gpu: false };
  }
  failures.push(
    `${packageName} loaded but its .wasm binary did not start (wasm path: ${wasmPath ?? "default"})`,
  );
  return undefined;
};

const tryCpu: Attempt = async (importModule, _options, failures) => {
  const packageName = "@tensorflow/tfjs-backend-cpu";
  if (!(await loads(importModule, packageName, failures))) return undefined;
  if (await activate("cpu")) return { backend: "cpu", packageName, gpu: false };
  failures.push(`${packageName} loaded but the "cpu" backend did not start`);
  return undefined;
};

async function loads(
  importModule: (name: string) => Promise<unknown>,
  packageName: string,
  failures: string[],
): Promise<unknown> {
  try {
    return (await importModule(packageName)) ?? {};
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    failures.push(
      `${packageName} could not be loaded (${reason}); to install it: ${INSTALL_HINTS[packageName]}`,
    );
    return undefined;
  }
}

async function activate(name: string): Promise<boolean> {
  if (!tf.findBackendFactory(name) && !tf.engine().registry[name]) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Whether tfjs knows `name` (tfjs-backend-webgpu registers its flags when it loads). */
function isRegisteredFlag(name: string): boolean {
  return name in ((tf.env() as unknown as { flagRegistry?: Record<string, unknown> }).flagRegistry ?? {});
}

function defaultImport(packageName: string): Promise<unknown> {
  return import(/* @vite-ignore */ packageName);
}

/**
 * The directory of tfjs-backend-wasm's `.wasm` files in Node, so the backend finds them after
 * the user's code has been bundled. Undefined outside Node.
 */
async function locateWasmFiles(): Promise<string | undefined> {
  if (typeof process === "undefined" || !process.versions?.node) return undefined;
  try {
    const { createRequire } = await import("node:module");
    const { dirname, join } = await import("node:path");
    // Resolve from here first: that is the copy paired with the tfjs-core this package sees.
    let packageJson: string;
    try {
      packageJson = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json");
    } catch {
      const fromCwd = createRequire(join(process.cwd(), "noop.js"));
      packageJson = fromCwd.resolve("@tensorflow/tfjs-backend-wasm/package.json");
    }
    return `${join(dirname(packageJson), "dist")}/`;
  } catch {
    return undefined;
  }
}
