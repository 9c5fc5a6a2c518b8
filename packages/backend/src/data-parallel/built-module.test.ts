import { GqnError } from "@gqn/core";
import { describe, expect, it } from "vitest";
import { builtModule } from "./built-module.js";

describe("builtModule", () => {
  it("finds the package's built file from src/ (this test runs from src/data-parallel)", () => {
    const url = builtModule("replica-worker.js", import.meta.url, "test", "build @gqn/backend");
    expect(url.pathname.endsWith("/packages/backend/dist/replica-worker.js")).toBe(true);
  });

  it("names the missing file, the caller and the remedy", () => {
    let error: unknown;
    try {
      builtModule("no-such-module.js", import.meta.url, "someCaller", "build it first");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GqnError);
    expect((error as GqnError).code).toBe("BACKEND_UNAVAILABLE");
    expect((error as Error).message).toMatch(
      /^someCaller: no-such-module\.js must exist \(looked for \/.*\/packages\/backend\/dist\/no-such-module\.js.*\), but it is missing; build it first\.$/,
    );
  });
});
