// Whether a test file's WebGPU cases run. Where no adapter exists they skip and say why (a fresh
// clone has no Vulkan driver); where GQN_REQUIRE_WEBGPU=1 (CI, which installs Mesa's lavapipe)
// a missing adapter fails the file instead, so that CI can never pass by skipping them.
import { findWebgpuAdapter, type WebgpuAdapterInfo } from "../packages/backend/src/index.js";

export interface WebgpuGate {
  adapter?: WebgpuAdapterInfo;
  /** Why the WebGPU cases skip; undefined when they run. */
  skip?: string;
}

export async function webgpuGate(suite: string): Promise<WebgpuGate> {
  const found = await findWebgpuAdapter();
  if (found.adapter) return { adapter: found.adapter };
  if (process.env.GQN_REQUIRE_WEBGPU === "1") {
    throw new Error(`${suite}: GQN_REQUIRE_WEBGPU=1 but WebGPU is not available: ${found.reason}`);
  }
  console.warn(`[skipped] ${suite}: ${found.reason}`);
  return { skip: found.reason };
}
