// npm reads the repository's .npmrc on every command (npx included) and warns about each key it
// does not know: pnpm's settings belong in pnpm-workspace.yaml, where pnpm reads them and npm does not.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { root } from "./doc-files.js";

describe("npm in the repository", () => {
  it("prints no warning about unknown config keys", () => {
    // Without the npm_config_* variables a parent pnpm sets for its scripts (npm warns of those as
    // "env config"): the repository's own files are what is checked.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_config_")),
    );
    const result = spawnSync("npm", ["pkg", "get", "name"], { cwd: root, encoding: "utf8", env });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/Unknown (project|user|global|builtin|env) config/);
  });
});
