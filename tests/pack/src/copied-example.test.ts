// An example copied out of the repository, as a user starts a project from one: its package.json
// names published version ranges (no `workspace:` protocol), which the packed versions satisfy;
// with the tarballs standing in for the registry, it installs, builds and renders an orbit.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages, publicPackages, root, run } from "./tarballs.js";

const EXAMPLE = "render-orbit";
const work = mkdtempSync(join(tmpdir(), "gqn-copied-example-"));
const copy = join(work, EXAMPLE);
type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

const versions = new Map(
  publicPackages.map((pkg) => [
    pkg.name,
    (JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as { version: string }).version,
  ]),
);
let manifest: Manifest;

beforeAll(() => {
  cpSync(join(root, "examples", EXAMPLE), copy, {
    recursive: true,
    filter: (source) => !/node_modules|dist|[\\/]out|[\\/]data/.test(source.slice(root.length)),
  });
  manifest = JSON.parse(readFileSync(join(copy, "package.json"), "utf8")) as Manifest;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`examples/${EXAMPLE}, copied out of the repository`, () => {
  it("names published version ranges of @gqn/* that the packed versions satisfy", () => {
    const ranges = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
      ([name]) => name.startsWith("@gqn/"),
    );
    expect(ranges.length).toBeGreaterThan(0);
    for (const [name, range] of ranges) {
      expect(range, name).not.toMatch(/^workspace:/);
      expect([`^${versions.get(name)}`, versions.get(name)], name).toContain(range);
    }
  });

  it("installs (the tarballs standing in for npm), builds and runs", () => {
    const packDir = join(work, "tarballs");
    mkdirSync(packDir);
    const tarballs = packPackages(publicPackages, packDir);
    // What npm would fetch for the ranges: the tarballs, for the package and for what it pulls in.
    const overrides = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
    const rewired = { ...manifest, overrides } as Manifest & { overrides: Record<string, string> };
    for (const section of ["dependencies", "devDependencies"] as const) {
      for (const name of Object.keys(rewired[section] ?? {})) {
        const file = tarballs.get(name);
        if (file) (rewired[section] as Record<string, string>)[name] = `file:${file}`;
      }
    }
    writeFileSync(join(copy, "package.json"), JSON.stringify(rewired, null, 2));
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], copy);
    run("npx", ["tsup"], copy);
    // The shipped model comes from @gqn/pretrained, the test rooms are rendered on first use.
    run("node", ["dist/main.js", "--frames", "2", "--zoom", "1", "--out", "out"], copy);
    expect(existsSync(join(copy, "out", "orbit.gif"))).toBe(true);
  }, 300_000);
});
