import { defineProject } from "vitest/config";

// Self-contained, so the example works when copied out of the repository.
export default defineProject({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
