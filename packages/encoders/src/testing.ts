/**
 * The contract suite every {@link SceneEncoder} should pass, built-in or third-party. Imports
 * vitest, so it lives on the `@gqn/encoders/testing` subpath, out of the root entry.
 *
 * @example
 * ```ts
 * // my-encoder.test.ts
 * import { describeSceneEncoder } from "@gqn/encoders/testing";
 * describeSceneEncoder("MyEncoder", () => new MyEncoder({ frameSize: 32, channels: 8 }));
 * ```
 * @packageDocumentation
 */
import { GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, it } from "vitest";
import type { SceneEncoder } from "./scene-encoder.js";
import { type SceneEncoderSuiteOptions, sceneEncoderChecks } from "./scene-encoder-checks.js";

export type { SceneEncoderSuiteOptions } from "./scene-encoder-checks.js";

/** Makes a fresh, unbuilt encoder for one test. */
export type SceneEncoderFactory = () => SceneEncoder | Promise<SceneEncoder>;

/**
 * Declares a vitest `describe` block that checks `factory()`'s encoder against every clause of
 * the {@link SceneEncoder} contract, one test each: output shape, no leaked tensors (forward and
 * backward), views encoded independently, order-free sum aggregation, pose sensitivity, shape
 * errors, gradients to every weight, and save -> load with identical outputs.
 * Each clause gets a fresh encoder from `factory`.
 */
export function describeSceneEncoder(
  name: string,
  factory: SceneEncoderFactory,
  options: SceneEncoderSuiteOptions = {},
): void {
  describe(`SceneEncoder contract: ${name}`, () => {
    beforeAll(ensureTestBackend);
    for (const check of sceneEncoderChecks) {
      it(check.name, async (context) => {
        const encoder = await factory();
        if (check.skip?.(encoder, options)) {
          context.skip();
          return;
        }
        try {
          await check.run(encoder, options);
        } catch (error) {
          const kernel = check.backward ? missingKernel(error) : undefined;
          if (kernel) context.skip(`the ${tf.getBackend()} backend has no ${kernel} kernel`);
          throw error;
        }
      });
    }
  });
}

/**
 * The suite runs in any project, not only one whose test setup registers a backend: with none
 * registered it takes tfjs' cpu backend (or wasm) if installed, and else says what to install.
 */
async function ensureTestBackend(): Promise<void> {
  if (Object.keys(tf.engine().registryFactory).length > 0) {
    await tf.ready(); // the best registered one, as the first op would take it
    return;
  }
  for (const [specifier, backend] of [
    ["@tensorflow/tfjs-backend-cpu", "cpu"],
    ["@tensorflow/tfjs-backend-wasm", "wasm"],
  ] as const) {
    try {
      // A variable specifier: an optional package, resolved at run time from the user's project.
      const pkg: string = specifier;
      await import(pkg);
      if (await tf.setBackend(backend)) return;
    } catch {
      // Not installed, or it failed to start: try the next.
    }
  }
  throw new GqnError(
    "BACKEND_UNAVAILABLE",
    "describeSceneEncoder: no tfjs backend is registered, and neither @tensorflow/tfjs-backend-cpu nor @tensorflow/tfjs-backend-wasm could be loaded: npm install --save-dev @tensorflow/tfjs-backend-cpu (or register a backend in your test setup).",
  );
}

/** The kernel named by tfjs's "Kernel 'X' not registered for backend 'y'" error, if that is the error. */
function missingKernel(error: unknown): string | undefined {
  const match = /Kernel '(\w+)' not registered for backend/.exec(error instanceof Error ? error.message : "");
  return match?.[1];
}
