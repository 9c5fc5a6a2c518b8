import { defineProject } from "vitest/config";

// Tests here start Node processes (CLIs, snippets): seconds each on a busy machine.
export default defineProject({
  test: { environment: "node", include: ["src/**/*.test.ts"], testTimeout: 60_000 },
});
