import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeBlock } from "../../repo/src/doc-files.js";
import { snippetFileName } from "../../repo/src/doc-files.js";
import {
  docPages,
  importedPackages,
  installClosure,
  installedByLines,
  packageReadmes,
  runnableSnippets,
} from "./readmes.js";
import { SMOKE_EXPECTED, smokeProgram } from "./smoke.js";
import { publicPackages as packages, packPackages, root, run, TFJS } from "./tarballs.js";

const work = mkdtempSync(join(tmpdir(), "gqn-pack-"));
let tarballs = new Map<string, string>();

beforeAll(() => {
  const packDir = join(work, "tarballs");
  mkdirSync(packDir);
  tarballs = packPackages(packages, packDir);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(packages)("$name pack", (pkg) => {
  it("passes publint", () => {
    const out = run("pnpm", ["exec", "publint", "--strict", "--pack", "pnpm", pkg.dir], root);
    expect(out).not.toMatch(/error|warning|suggestion/i);
  });

  // node16 profile here; node10 resolution of the subpaths is checked with tsc below (typesVersions).
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
        "vitest@4.1.12",
      ],
      project,
    );
  });

  // The documented template for a custom encoder, copied as a user would: its contract suite
  // must run with no setup file of ours (it takes tfjs' cpu backend itself).
  it("passes the copied contract-suite template (examples/custom-encoder)", () => {
    const dir = join(project, "my-encoder");
    mkdirSync(dir);
    for (const file of ["patch-encoder.ts", "patch-encoder.test.ts"]) {
      copyFileSync(join(root, "examples", "custom-encoder", "src", file), join(dir, file));
    }
    const vitest = join(project, "node_modules", "vitest", "vitest.mjs");
    // Colours stripped: the summary line is read as text.
    const out = stripVTControlCharacters(run("node", [vitest, "run", "my-encoder"], project));
    expect(out).toMatch(/Tests\s+18 passed \(18\)/);
  });

  // Every subpath of every package, by its types: `moduleResolution: node10` (the default with
  // `module: commonjs`) reads no `exports`, so `typesVersions` must map the subpaths.
  it.each(["node10", "bundler"] as const)(
    "every subpath's types resolve under %s resolution",
    (resolution) => {
      const specifiers = packages.flatMap((pkg) => {
        const manifest = JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as {
          exports: Record<string, unknown>;
        };
        // The JS entries (with types), not file subpaths such as @gqn/pretrained/models/*.
        return Object.entries(manifest.exports)
          .filter(([, target]) => typeof target === "object" && target !== null && "import" in target)
          .map(([key]) => key)
          .map((key) => (key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`));
      });
      const file = join(project, `types-${resolution}.ts`);
      writeFileSync(
        file,
        `${specifiers.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join("\n")}\nexport const all = [${specifiers.map((_, i) => `m${i}`).join(", ")}];\n`,
      );
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      const module = resolution === "node10" ? "commonjs" : "esnext";
      const args = [
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--moduleResolution",
        resolution,
        "--module",
        module,
      ];
      run("node", [tsc, ...args, "--target", "es2022", file], project);
      expect(specifiers.length).toBeGreaterThan(packages.length);
    },
  );

  it("loads @gqn/pretrained's rooms-32 from the installed tarball and renders", () => {
    const file = join(project, "pretrained.mjs");
    writeFileSync(
      file,
      [
        'import { initBackend } from "@gqn/backend";',
        'import { loadPretrained, PRETRAINED_MODELS, pretrainedModelDir } from "@gqn/pretrained/node";',
        'import * as tf from "@tensorflow/tfjs-core";',
        'await initBackend({ backend: "wasm", log: () => {} });',
        'const model = await loadPretrained("rooms-32");',
        'const { frameSize: s, contextSize: k } = PRETRAINED_MODELS["rooms-32"];',
        'const frames = tf.randomUniform([1, k, s, s, 3], 0, 1, "float32", 1);',
        'const poses = tf.randomNormal([1, k, 7], 0, 1, "float32", 2);',
        "const view = model.render(model.represent(frames, poses), tf.randomNormal([1, 7]), { seed: 1, context: { frames, poses } });",
        'console.log(JSON.stringify({ shape: view.shape, dir: pretrainedModelDir("rooms-32") }));',
      ].join("\n"),
    );
    const out = JSON.parse(run("node", [file], project).trim().split("\n").pop() ?? "{}");
    expect(out.shape).toEqual([1, 32, 32, 3]);
    expect(out.dir).toBe(join(project, "node_modules", "@gqn", "pretrained", "models", "rooms-32"));
  });

  // Each package README as a user reads it: what its install lines bring covers what its
  // snippets import, and each snippet runs here, outside the repository and its setup files.
  describe.each(packageReadmes)("%s", (file) => {
    it("names in its install lines every package its snippets import", () => {
      const installed = installClosure(installedByLines(file));
      const imported = runnableSnippets(file).flatMap((block) => importedPackages(block.code));
      expect([...new Set(imported.filter((name) => !installed.has(name)))]).toEqual([]);
    });

    for (const block of runnableSnippets(file)) {
      it(`runs its snippet at line ${block.line}`, () => runSnippet(file, block), 120_000);
    }
  });

  // docs/ as a user copies from it: every runnable snippet of every page, in the same project.
  describe.each(docPages)("%s", (file) => {
    for (const block of runnableSnippets(file)) {
      it(`runs its snippet at line ${block.line}`, () => runSnippet(file, block), 120_000);
    }
  });

  /** One snippet of `file`, in its own folder of the fresh project: under vitest when named `*.test.ts`. */
  function runSnippet(file: string, block: CodeBlock): void {
    const dir = join(project, "readmes", file.replace(/\W+/g, "-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const name = snippetFileName(block.code);
    if (name?.endsWith(".test.ts")) {
      writeFileSync(join(dir, name), block.code);
      run("node", [join(project, "node_modules", "vitest", "vitest.mjs"), "run", name, "--root", dir], dir);
      return;
    }
    const js = transformSync(block.code, {
      loader: block.lang === "ts" ? "ts" : "js",
      format: "esm",
    }).code;
    const out = name ? name.replace(/\.[mc]?[jt]s$/, ".js") : `snippet-${block.line}.mjs`;
    writeFileSync(join(dir, out), js);
    run("node", [join(dir, out)], dir);
  }

  it.each(["esm", "cjs"] as const)("imports every package and runs a forward pass (%s)", (kind) => {
    const file = join(project, kind === "esm" ? "smoke.mjs" : "smoke.cjs");
    writeFileSync(file, smokeProgram(kind));
    const out = run("node", [file], project).trim().split("\n").pop() ?? "";
    expect(JSON.parse(out)).toEqual(SMOKE_EXPECTED);
  });
});
