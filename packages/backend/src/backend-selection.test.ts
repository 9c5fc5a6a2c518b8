import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it, vi } from "vitest";
import { initBackend } from "./backend-selection.js";
import { describeAdapter, findWebgpuAdapter, WEBGPU_INSTALL_HINT } from "./webgpu/webgpu-adapter.js";

const realImport = (name: string) => import(/* @vite-ignore */ name);
const missing = (names: string[]) => (name: string) =>
  names.includes(name) ? Promise.reject(new Error(`Cannot find package '${name}'`)) : realImport(name);

async function captureError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("initBackend", () => {
  afterAll(async () => {
    await tf.setBackend("wasm");
  });

  it("auto falls back to wasm when tfjs-node is not installed, and says so", async () => {
    const messages: string[] = [];
    const info = await initBackend({ log: (m) => messages.push(m) });
    expect(info).toEqual({ backend: "wasm", packageName: "@tensorflow/tfjs-backend-wasm", gpu: false });
    expect(tf.getBackend()).toBe("wasm");
    expect(messages).toEqual(["[gqn] backend: wasm from @tensorflow/tfjs-backend-wasm"]);
  });

  it("registers gradients so that training works", async () => {
    await initBackend({ backend: "wasm", log: () => {} });
    expect(tf.getGradient("Conv2D")).toBeDefined();
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(await grad.data())).toEqual([2, 4, 6]);
  });

  it("asking for tensorflow without tfjs-node gives the install command, not a stack trace", async () => {
    const error = await captureError(
      initBackend({
        backend: "tensorflow",
        log: () => {},
        importModule: missing(["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"]),
      }),
    );
    expect(isGqnError(error, "BACKEND_UNAVAILABLE")).toBe(true);
    expect(error.message).toContain('backend "tensorflow" is not available');
    expect(error.message).toContain("npm install @tensorflow/tfjs-node@4.22.0");
    expect(error.message).toContain("npm install @tensorflow/tfjs-node-gpu@4.22.0");
  });

  it("auto takes tfjs-node-gpu when it loads and registers the tensorflow backend", async () => {
    const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
    const fakeNodeGpu = async (name: string) => {
      if (name === "@tensorflow/tfjs-node-gpu") {
        tf.registerBackend("tensorflow", () => new MathBackendCPU(), 1);
        return {};
      }
      return realImport(name);
    };
    try {
      const info = await initBackend({ log: () => {}, importModule: fakeNodeGpu });
      expect(info).toEqual({ backend: "tensorflow", packageName: "@tensorflow/tfjs-node-gpu", gpu: true });
    } finally {
      await tf.setBackend("wasm");
      tf.removeBackend("tensorflow");
    }
  });

  it("auto falls back to cpu when wasm is missing too", async () => {
    const info = await initBackend({
      log: () => {},
      importModule: missing([
        "@tensorflow/tfjs-node",
        "@tensorflow/tfjs-node-gpu",
        "@tensorflow/tfjs-backend-wasm",
      ]),
    });
    expect(info.backend).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("a missing wasm backend asked for by name names its install command", async () => {
    const error = await captureError(
      initBackend({
        backend: "wasm",
        log: () => {},
        importModule: missing(["@tensorflow/tfjs-backend-wasm"]),
      }),
    );
    expect(isGqnError(error, "BACKEND_UNAVAILABLE")).toBe(true);
    expect(error.message).toContain("npm install @tensorflow/tfjs-backend-wasm@4.22.0");
  });

  it("rejects an unknown backend name", async () => {
    const error = await captureError(initBackend({ backend: "webgl" as never, log: () => {} }));
    expect(isGqnError(error, "INVALID_ARGUMENT")).toBe(true);
    expect(error.message).toBe(
      'initBackend: backend must be one of auto, tensorflow, webgpu, wasm, cpu, but got "webgl".',
    );
  });

  it("cpu on request", async () => {
    const info = await initBackend({ backend: "cpu", log: () => {} });
    expect(info.backend).toBe("cpu");
  });
});

// Each case runs without a navigator.gpu of its own: what a fresh Node process has.
function withoutNavigatorGpu<T>(run: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  const saved = nav?.gpu;
  if (nav) Object.defineProperty(nav, "gpu", { value: undefined, configurable: true });
  return run().finally(() => {
    if (nav) Object.defineProperty(nav, "gpu", { value: saved, configurable: true });
  });
}

describe("initBackend webgpu", () => {
  afterAll(async () => {
    await tf.setBackend("wasm");
  });

  it("asked for without its packages, names the install command", async () => {
    const error = await withoutNavigatorGpu(() =>
      captureError(
        initBackend({
          backend: "webgpu",
          log: () => {},
          importModule: missing(["webgpu", "@tensorflow/tfjs-backend-webgpu"]),
        }),
      ),
    );
    expect(isGqnError(error, "BACKEND_UNAVAILABLE")).toBe(true);
    expect(error.message).toContain('backend "webgpu" is not available');
    expect(error.message).toContain(WEBGPU_INSTALL_HINT);
  });

  it("asked for where no adapter exists, says what driver to install in one line", async () => {
    const noAdapter = async (name: string) =>
      name === "webgpu"
        ? { create: () => ({ requestAdapter: async () => null }), globals: {} }
        : realImport(name);
    const error = await withoutNavigatorGpu(() =>
      captureError(initBackend({ backend: "webgpu", log: () => {}, importModule: noAdapter })),
    );
    expect(isGqnError(error, "BACKEND_UNAVAILABLE")).toBe(true);
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/no WebGPU adapter: install a Vulkan driver .*mesa-vulkan-drivers/);
  });

  it("tells software adapters from GPUs", () => {
    // What Dawn reports for Mesa's lavapipe, and for a discrete GPU.
    expect(
      describeAdapter({
        info: {
          vendor: "mesa",
          architecture: "software",
          description: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)",
          isFallbackAdapter: true,
        },
      }),
    ).toEqual({ description: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)", software: true });
    expect(describeAdapter({ info: { description: "SwiftShader Device (Subzero)" } }).software).toBe(true);
    expect(
      describeAdapter({
        info: {
          vendor: "nvidia",
          architecture: "ada-lovelace",
          description: "NVIDIA GeForce RTX 4090",
          isFallbackAdapter: false,
        },
      }),
    ).toEqual({ description: "NVIDIA GeForce RTX 4090", software: false });
    expect(describeAdapter({ info: { vendor: "amd", architecture: "rdna-3" } })).toEqual({
      description: "amd rdna-3",
      software: false,
    });
  });

  // A stand-in GPU: a hardware adapter whose "webgpu" backend runs tfjs's cpu kernels. auto's quick
  // check is replaced by the milliseconds the test sets per backend (the real check on those cpu
  // kernels takes minutes; webgpu/webgpu-backend.test.ts runs it on a real adapter), in a fresh
  // copy of backend-selection.ts: the setup file has loaded the real one.
  const probeMs = new Map<string, number>();
  async function withStandInGpu<T>(
    run: (importModule: (name: string) => Promise<unknown>, init: typeof initBackend) => Promise<T>,
  ): Promise<T> {
    vi.resetModules();
    vi.doMock("./webgpu/speed-check.js", () => ({
      trainingProbeMs: async () => probeMs.get(tf.getBackend()) ?? 1,
    }));
    const { initBackend: init } = await import("./backend-selection.js");
    const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
    const fakeGpu = async (name: string) => {
      if (name === "webgpu") {
        const adapter = { info: { description: "Stand-in GPU", isFallbackAdapter: false } };
        return { create: () => ({ requestAdapter: async () => adapter }), globals: {} };
      }
      if (name === "@tensorflow/tfjs-backend-webgpu") {
        tf.registerBackend("webgpu", () => new MathBackendCPU(), 1);
        for (const kernel of tf.getKernelsForBackend("cpu"))
          tf.registerKernel({ ...kernel, backendName: "webgpu" });
        return {};
      }
      return realImport(name);
    };
    try {
      return await withoutNavigatorGpu(() => run(fakeGpu, init));
    } finally {
      vi.doUnmock("./webgpu/speed-check.js");
      await tf.setBackend("wasm");
      tf.removeBackend("webgpu");
      for (const kernel of tf.getKernelsForBackend("webgpu"))
        tf.unregisterKernel(kernel.kernelName, "webgpu");
      probeMs.clear();
    }
  }

  it("auto takes a hardware adapter that beats wasm in the quick check", async () => {
    probeMs.set("webgpu", 5).set("wasm", 40);
    const messages: string[] = [];
    const info = await withStandInGpu(async (importModule, init) => {
      const picked = await init({ log: (m) => messages.push(m), importModule });
      expect(tf.getBackend()).toBe("webgpu");
      return picked;
    });
    expect(info).toEqual({
      backend: "webgpu",
      packageName: "@tensorflow/tfjs-backend-webgpu",
      gpu: true,
      adapter: { description: "Stand-in GPU", software: false },
    });
    expect(messages).toEqual([
      "[gqn] backend: webgpu (GPU) on Stand-in GPU from @tensorflow/tfjs-backend-webgpu",
    ]);
  });

  it("auto keeps wasm when the GPU loses the quick check, and says so", async () => {
    probeMs.set("webgpu", 90).set("wasm", 40);
    const messages: string[] = [];
    const info = await withStandInGpu((importModule, init) =>
      init({ log: (m) => messages.push(m), importModule }),
    );
    expect(info.backend).toBe("wasm");
    expect(messages).toEqual([
      "[gqn] backend: wasm from @tensorflow/tfjs-backend-wasm (WebGPU on Stand-in GPU was slower than wasm in a quick check: 90 against 40 ms; --backend webgpu takes it anyway)",
    ]);
  });

  it("auto never takes a software adapter, and says nothing of it", async () => {
    const found = await findWebgpuAdapter();
    const messages: string[] = [];
    const info = await withoutNavigatorGpu(() => initBackend({ log: (m) => messages.push(m) }));
    expect(info.backend).toBe(found.adapter && !found.adapter.software ? info.backend : "wasm");
    if (info.backend === "wasm")
      expect(messages).toEqual(["[gqn] backend: wasm from @tensorflow/tfjs-backend-wasm"]);
  });
});
