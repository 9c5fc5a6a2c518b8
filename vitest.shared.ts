import { fileURLToPath } from "node:url";
import { defineProject, type ViteUserConfig } from "vitest/config";

const tfjsSetup = fileURLToPath(new URL("./test/setup-tfjs.ts", import.meta.url));

/**
 * The vitest project every package uses. Tests read `src/` through the `@gqn/source` export
 * condition, so they need no build of their workspace dependencies.
 */
export function packageTestConfig(options: { tfjs?: boolean; timeoutMs?: number } = {}): ViteUserConfig {
  return defineProject({
    resolve: { conditions: ["@gqn/source"] },
    ssr: { resolve: { conditions: ["@gqn/source"] } },
    test: {
      environment: "node",
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      setupFiles: options.tfjs ? [tfjsSetup] : [],
      testTimeout: options.timeoutMs ?? 60_000,
      hookTimeout: 60_000,
      pool: "forks",
    },
  });
}
