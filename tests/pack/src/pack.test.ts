import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMOKE_EXPECTED, smokeProgram } from "./smoke.js";

const root = resolve(import.meta.dirname, "../../..");
const TFJS = "4.22.0";

interface PublicPackage {
  name: string;
  dir: string;
}

const packages: PublicPackage[] = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => !manifest.private)
  .map(({ dir, manifest }) => ({ name: manifest.name as string, dir }));

const work = mkdtempSync(join(tmpdir(), "gqn-pack-"));
const tarballs = new Map<string, string>();

/** Runs a command; on failure the error carries its output, which is what one needs to read. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  }
}

beforeAll(() => {
  const packDir = join(work, "tarballs");
  mkdirSync(packDir);
  for (const pkg of packages) {
    const before = new Set(readdirSync(packDir));
    run("pnpm", ["pack", "--pack-destination", packDir], pkg.dir);
    const created = readdirSync(packDir).find((file) => !before.has(file));
    if (!created) throw new Error(`pnpm pack made no tarball for ${pkg.name}`);
    tarballs.set(pkg.name, join(packDir, created));
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(packages)("$name pack", (pkg) => {
  it("passes publint", () => {
    const out = run("pnpm", ["exec", "publint", "--strict", "--pack", "pnpm", pkg.dir], root);
    expect(out).not.toMatch(/error|warning|suggestion/i);
  });

  // node16 profile: the packages declare Node >= 20.19, so node10 resolution of subpaths is moot.
  it("passes @arethetypeswrong/cli", () => {
    const out = run(
      "pnpm",
      [
        "exec",
        "attw",
        tarballs.get(pkg.name)!,
        "--profile",
        "node16",
        "--format",
        "ascii",
        "--no-emoji",
        "--no-color",
      ],
      root,
    );
    // attw exits non-zero on a problem under the node16 profile; what it prints for the ignored
    // node10 resolution is informational, so only unignored problem lines count.
    const problems = out
      .split("\n")
      .filter((line) => /problems\/|resolution failed|❌|error/i.test(line))
      .filter((line) => !/ignored/i.test(line));
    expect(problems).toEqual([]);
  });
});

describe("the packed packages in a fresh npm project", () => {
  const project = join(work, "project");

  beforeAll(() => {
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        ...tarballs.values(),
        `@tensorflow/tfjs-core@${TFJS}`,
        `@tensorflow/tfjs-layers@${TFJS}`,
        `@tensorflow/tfjs-backend-wasm@${TFJS}`,
        `@tensorflow/tfjs-backend-cpu@${TFJS}`,
      ],
      project,
    );
  });

  it.each(["esm", "cjs"] as const)("imports every package and runs a forward pass (%s)", (kind) => {
    const file = join(project, kind === "esm" ? "smoke.mjs" : "smoke.cjs");
    writeFileSync(file, smokeProgram(kind));
    const out = run("node", [file], project).trim().split("\n").pop() ?? "";
    expect(JSON.parse(out)).toEqual(SMOKE_EXPECTED);
  });
});
