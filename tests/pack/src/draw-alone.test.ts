// A DRAW-only user: @gqn/draw from its tarball (with @gqn/core, which it depends on, and
// @gqn/backend, which training on wasm needs) in a fresh npm project runs the draw README's first
// snippet, 3 training steps, and gets no data, model or native package.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages, publicPackages, root, run, TFJS } from "./tarballs.js";

const ALONE = ["@gqn/core", "@gqn/draw", "@gqn/backend"];
const NATIVE = ["@napi-rs/image", "onnxruntime-node", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"];
const work = mkdtempSync(join(tmpdir(), "gqn-draw-alone-"));
const project = join(work, "project");

/** The first ```ts block of a markdown file. */
function firstTsSnippet(markdown: string): string {
  const code = /^```ts\n([\s\S]*?)^```/m.exec(markdown)?.[1];
  if (code === undefined) throw new Error("no ```ts block");
  return code;
}

beforeAll(() => {
  const packDir = join(work, "tarballs");
  mkdirSync(packDir);
  mkdirSync(project);
  const tarballs = packPackages(
    publicPackages.filter((pkg) => ALONE.includes(pkg.name)),
    packDir,
  );
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "draw-only", private: true, type: "module" }),
  );
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
    ],
    project,
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("@gqn/draw alone, from its tarball", () => {
  it("installs no data, model or native package", () => {
    const installed = run("npm", ["ls", "--all", "--parseable"], project);
    for (const name of [...NATIVE, "@gqn/data", "@gqn/model", "@gqn/encoders"]) {
      expect(existsSync(join(project, "node_modules", name)), name).toBe(false);
      expect(installed).not.toContain(`node_modules/${name}`);
    }
  });

  it("is found by what it is: its keywords name DRAW, ConvLSTM and VAE", () => {
    const manifest = JSON.parse(readFileSync(join(project, "node_modules/@gqn/draw/package.json"), "utf8"));
    expect(manifest.keywords).toEqual(expect.arrayContaining(["draw", "convlstm", "vae"]));
  });

  it("trains 3 steps with the README's first snippet", () => {
    const readme = readFileSync(join(root, "packages/draw/README.md"), "utf8");
    const program = transformSync(firstTsSnippet(readme), { loader: "ts", format: "esm" }).code;
    writeFileSync(join(project, "train-draw.mjs"), program);
    const out = run("node", ["train-draw.mjs"], project);
    const losses = [...out.matchAll(/^step (\d): loss (-?[\d.]+) nats$/gm)].map((m) => Number(m[2]));
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(out).toContain("[ 2, 32, 32, 3 ]");
  });
});
