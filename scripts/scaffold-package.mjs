#!/usr/bin/env node
// Writes the per-package boilerplate (tsconfig, tsup and vitest configs, LICENSE) that every
// library shares, so a new package is `node scripts/scaffold-package.mjs packages/NAME [--tfjs]`.
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const [dir, ...flags] = process.argv.slice(2);
if (!dir) {
  console.error(
    "usage: node scripts/scaffold-package.mjs packages/NAME [--tfjs] [--entry name=src/file.ts ...]",
  );
  process.exit(2);
}
const root = relative(dir, ".") || ".";
const tfjs = flags.includes("--tfjs");
const entries = { index: "src/index.ts" };
for (let i = 0; i < flags.length; i++) {
  if (flags[i] === "--entry") {
    const [name, file] = flags[++i].split("=");
    entries[name] = file;
  }
}
const write = (file, text) => {
  const path = join(dir, file);
  if (!existsSync(path)) writeFileSync(path, text);
};
write(
  "tsconfig.json",
  `${JSON.stringify({ extends: `${root}/tsconfig.base.json`, include: ["src", "test", "*.ts"] }, null, 2)}\n`,
);
write(
  "tsup.config.ts",
  `import { defineConfig } from "tsup";\nimport { libraryConfig } from "${root}/tsup.shared.ts";\n\nexport default defineConfig(libraryConfig(${JSON.stringify(
    entries,
  )
    .replace(/"(\w+)":/g, "$1: ")
    .replace(/,/g, ", ")}));\n`,
);
write(
  "vitest.config.ts",
  `import { packageTestConfig } from "${root}/vitest.shared.ts";\n\nexport default packageTestConfig(${tfjs ? "{ tfjs: true }" : ""});\n`,
);
if (!existsSync(join(dir, "LICENSE"))) copyFileSync("LICENSE", join(dir, "LICENSE"));
