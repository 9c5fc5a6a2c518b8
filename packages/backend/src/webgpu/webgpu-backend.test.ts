// tfjs's WebGPU backend through initBackend, on whatever adapter this machine has (Mesa's
// software Vulkan in CI): the kernels a GQN training step leans on, against the cpu backend.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webgpuGate } from "../../../../test/webgpu-gate.js";
import { expectClose, on, rand } from "../../test/conv-parity.js";
import { initBackend } from "../backend-selection.js";
import { trainingProbeMs } from "./speed-check.js";

const gate = await webgpuGate("WebGPU backend tests");

describe.skipIf(gate.skip !== undefined)("initBackend({ backend: 'webgpu' })", () => {
  const messages: string[] = [];
  beforeAll(async () => {
    const info = await initBackend({ backend: "webgpu", log: (m) => messages.push(m) });
    expect(info.backend).toBe("webgpu");
    expect(info.adapter).toEqual(gate.adapter);
    expect(info.gpu).toBe(!gate.adapter?.software);
  });
  afterAll(async () => {
    await tf.setBackend("wasm");
  });

  it("names the adapter it runs on, and keeps every op on the GPU", () => {
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(
      `[gqn] backend: webgpu${gate.adapter?.software ? "" : " (GPU)"} on ${gate.adapter?.description}`,
    );
    // Small CPU-side inputs would otherwise be computed on the CPU.
    expect(tf.env().getBool("WEBGPU_CPU_FORWARD")).toBe(false);
  });

  it("computes convolutions and both their gradients as the cpu backend does", async () => {
    const run = () => {
      const x = rand([2, 8, 8, 8], 1);
      const filter = tf.mul(rand([5, 5, 8, 16], 2), 0.2);
      const up = rand([2, 8, 8, 16], 3);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), up));
      const [dx, dw] = tf.grads(f)([x, filter]);
      return [
        tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same"),
        dx as tf.Tensor,
        dw as tf.Tensor,
      ];
    };
    expectClose(await on("webgpu", run), await on("cpu", run));
  });

  it("takes the gradient of a representation tiled over DRAW's grid (rank 8 before merging)", async () => {
    const run = () => {
      const r = rand([2, 1, 1, 6], 4);
      const up = rand([2, 4, 4, 6], 5);
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, [1, 4, 4, 1]), up)))(r)];
    };
    expectClose(await on("webgpu", run), await on("cpu", run));
  });

  it("runs auto's speed probe without leaking", async () => {
    await tf.setBackend("webgpu");
    const before = tf.memory().numTensors;
    expect(await trainingProbeMs()).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
