import { describe, expect, it } from "vitest";
import { findBuiltModule } from "./built-module.js";

describe("findBuiltModule", () => {
  const packageDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

  it("maps a caller in src/ to the package's dist/, and a caller in dist/ to its neighbour", () => {
    const fromSources = findBuiltModule({
      file: "index.js",
      callerUrl: import.meta.url,
      packageName: "@gqn/core",
    });
    expect(fromSources.looked[0]).toBe(`${packageDir}/dist/index.js`);
    const fromBuilt = findBuiltModule({
      file: "worker.js",
      callerUrl: `file://${packageDir}/dist/index.cjs`,
      packageName: "@gqn/no-such-package",
    });
    expect(fromBuilt).toEqual({ url: undefined, looked: [`${packageDir}/dist/worker.cjs`] });
  });

  it("lists every place it looked when the module is missing", () => {
    const found = findBuiltModule({
      file: "no-such-module.js",
      callerUrl: import.meta.url,
      packageName: "@gqn/no-such-package",
    });
    expect(found).toEqual({ url: undefined, looked: [`${packageDir}/dist/no-such-module.js`] });
  });
});
