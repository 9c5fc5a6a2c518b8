// A model built before any tfjs backend is registered: a fresh process with tfjs-core alone (the
// test suite registers backends for every other test, so this one runs apart).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));

describe("GqnModel without a tfjs backend", () => {
  it("says what to install, not tfjs' 'No backend found in registry'", () => {
    // This package's build, by path: its own dependencies resolve from beside it.
    const dir = mkdtempSync(join(tmpdir(), "gqn-no-backend-"));
    const script = join(dir, "create.mjs");
    writeFileSync(
      script,
      [
        `import { GqnModel, getPreset } from ${JSON.stringify(pathToFileURL(join(PACKAGE, "dist", "index.js")).href)};`,
        "try {",
        '  GqnModel.create(getPreset("tiny").model);',
        '  console.log("created");',
        "} catch (error) {",
        "  console.log(JSON.stringify({ code: error.code, message: error.message }));",
        "}",
      ].join("\n"),
    );
    const out = JSON.parse(execFileSync(process.execPath, [script], { encoding: "utf8" }).trim());
    rmSync(dir, { recursive: true, force: true });
    expect(out.code).toBe("BACKEND_UNAVAILABLE");
    expect(out.message).toMatch(
      /^GqnModel\.create: no tfjs backend is registered\. Install one and register it before building a model: in Node, npm install @gqn\/backend @tensorflow\/tfjs-backend-wasm, then await initBackend\(\)/,
    );
  });
});
