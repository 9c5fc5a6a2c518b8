// A rendering user: @gqn/model with its README's first install line, from the tarballs, in a fresh
// npm project: nothing with a native binary comes with it (the codecs are optional peers of
// @gqn/data, brought by @gqn/scenes and @gqn/train), and it renders.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages, publicPackages, root, run, TFJS } from "./tarballs.js";

const NATIVE = [
  "@napi-rs/image",
  "@node-rs/crc32",
  "onnxruntime-node",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
];
const work = mkdtempSync(join(tmpdir(), "gqn-model-alone-"));
const project = join(work, "project");

/** The README's first install line: the packages after `npm install`. */
function installLine(): string[] {
  const readme = readFileSync(join(root, "packages", "model", "README.md"), "utf8");
  const line = /^npm install (.*?)(\s+#.*)?$/m.exec(readme)?.[1];
  if (!line) throw new Error("packages/model/README.md has no npm install line");
  return line.trim().split(/\s+/);
}

let names: string[] = [];
beforeAll(() => {
  names = installLine();
  const packDir = join(work, "tarballs");
  mkdirSync(packDir);
  mkdirSync(project);
  // Its @gqn packages and theirs, from tarballs; the rest from the registry at the pinned version.
  const tarballs = packPackages(
    publicPackages.filter((pkg) =>
      ["@gqn/core", "@gqn/data", "@gqn/draw", "@gqn/encoders", "@gqn/model", "@gqn/backend"].includes(
        pkg.name,
      ),
    ),
    packDir,
  );
  const specs = names.map(
    (name) => tarballs.get(name) ?? (name.startsWith("@tensorflow/") ? `${name}@${TFJS}` : name),
  );
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "render-only", private: true, type: "module" }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs, ...[...tarballs.values()]],
    project,
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("@gqn/model with its README's install line, from tarballs", () => {
  it("installs no package with a native binary", () => {
    expect(names).toContain("@gqn/model");
    const installed = run("npm", ["ls", "--all", "--parseable"], project);
    for (const name of NATIVE) {
      expect(existsSync(join(project, "node_modules", name)), name).toBe(false);
      expect(installed).not.toContain(`node_modules/${name}`);
    }
  });

  it("renders a view", () => {
    const file = join(project, "render.mjs");
    writeFileSync(
      file,
      [
        'import { initBackend } from "@gqn/backend";',
        'import { GqnModel, resolveGqnConfig } from "@gqn/model";',
        'import * as tf from "@tensorflow/tfjs-core";',
        'await initBackend({ backend: "wasm", log: () => {} });',
        'const model = GqnModel.create(resolveGqnConfig("tiny"), { seed: 1 });',
        "const r = model.represent(tf.zeros([1, 3, 32, 32, 3]), tf.zeros([1, 3, 7]));",
        "console.log(JSON.stringify(model.render(r, tf.zeros([1, 7]), { seed: 2 }).shape));",
      ].join("\n"),
    );
    expect(JSON.parse(run("node", [file], project).trim().split("\n").pop() ?? "null")).toEqual([
      1, 32, 32, 3,
    ]);
  });
});
