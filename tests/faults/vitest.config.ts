import { defineProject } from "vitest/config";

// Every case starts the command lines as processes (a few seconds each on a busy machine).
export default defineProject({
  test: { environment: "node", include: ["src/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 180_000 },
});
