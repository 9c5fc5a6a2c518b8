#!/usr/bin/env node
// The public face of every package entry, as a reviewed text file: api/<package>.api.md lists each
// entry's exported declarations, read from the built .d.ts (what users compile against), comments
// dropped. tests/repo runs `--check`, so a change of a public face fails `pnpm test` until the
// report is updated (`pnpm api:update`) and the change shows in review.
//
//   node scripts/api-report.mjs            write the reports (after a build)
//   node scripts/api-report.mjs --check    exit 1, printing the changed lines, when a report differs
//   node scripts/api-report.mjs --count    print the number of exports of each entry
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const reportDir = join(root, "api");
const mode = process.argv.includes("--check")
  ? "check"
  : process.argv.includes("--count")
    ? "count"
    : "write";

/** Every library's entries: `{ pkg, dir, entries: [{ subpath, dts }] }`. */
function packageEntries() {
  const packagesDir = join(root, "packages");
  return readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, "package.json")))
    .sort()
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
      const entries = Object.entries(manifest.exports ?? {})
        .filter(([, target]) => typeof target === "object" && target.import?.types)
        .map(([subpath, target]) => ({ subpath, dts: join(packagesDir, dir, target.import.types) }));
      return { pkg: manifest.name, dir, entries };
    });
}

const packages = packageEntries();
const missing = packages.flatMap((p) => p.entries).filter((e) => !existsSync(e.dts));
if (missing.length > 0) {
  console.error(`api-report: ${missing.map((e) => e.dts).join(", ")} missing: run \`pnpm build\` first.`);
  process.exit(1);
}

const program = ts.createProgram(
  packages.flatMap((p) => p.entries.map((e) => e.dts)),
  {
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  },
);
const checker = program.getTypeChecker();
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** A declaration as users see it: no comments, no private members, one space of indent per level. */
function printDeclaration(node) {
  const sourceFile = node.getSourceFile();
  const target = ts.isVariableDeclaration(node) ? node.parent.parent : node;
  const text = printer.printNode(ts.EmitHint.Unspecified, target, sourceFile);
  return text
    .split("\n")
    .filter((line) => !/^\s*private\b/.test(line) && !/^\s*#private;/.test(line))
    .join("\n")
    .replace(/^export /, "")
    .replace(/^declare /, "");
}

/** The declarations of an exported symbol (through `export { x } from`), or undefined. */
function declarationsOf(symbol) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return target.declarations ?? [];
}

/** Names the public declarations use that their entry does not export (a face without a name). */
function unexportedReferences(declarations, exported, dtsFiles) {
  const found = new Map();
  const visit = (node) => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node)) {
      const name = ts.isTypeReferenceNode(node)
        ? node.typeName
        : ts.isTypeQueryNode(node)
          ? node.exprName
          : node.expression;
      let symbol = checker.getSymbolAtLocation(name);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      for (const decl of symbol?.declarations ?? []) {
        if (!dtsFiles.has(decl.getSourceFile().fileName) || exported.has(symbol)) continue;
        if (ts.isTypeParameterDeclaration(decl)) continue;
        if (!found.has(symbol)) {
          found.set(symbol, decl);
          visit(decl);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const decl of declarations) visit(decl);
  return [...found.entries()]
    .map(([symbol, decl]) => ({ name: symbol.getName(), decl }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The report of one package: each entry, its exports sorted by name, each declaration printed. */
function report({ pkg, dir, entries }) {
  const dtsFiles = new Set(
    readdirSync(join(root, "packages", dir, "dist"))
      .filter((f) => f.endsWith(".d.ts"))
      .map((f) => join(root, "packages", dir, "dist", f).replaceAll("\\", "/")),
  );
  const exportsOf = (dts) => {
    const sourceFile = program.getSourceFile(dts);
    const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    return moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
  };
  const resolveAlias = (s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  // A name another entry of the package exports is a name users can import.
  const exportedSymbols = new Set(entries.flatMap(({ dts }) => exportsOf(dts).map(resolveAlias)));
  const counts = [];
  const lines = [
    `# API report: ${pkg}`,
    "",
    "<!-- Generated by `pnpm api:update` from the built .d.ts; do not edit. A change here is a change of",
    "     what users can import: review it as one. -->",
  ];
  for (const { subpath, dts } of entries) {
    const entryName = subpath === "." ? pkg : `${pkg}/${subpath.slice(2)}`;
    const sorted = [...exportsOf(dts)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    counts.push({ entry: entryName, count: sorted.length });
    lines.push("", `## ${entryName} (${sorted.length} exports)`, "", "```ts");
    const allDeclarations = [];
    for (const symbol of sorted) {
      const declarations = declarationsOf(symbol);
      allDeclarations.push(...declarations);
      const texts = declarations.map(printDeclaration);
      const declaredName = declarations[0] && ts.getNameOfDeclaration(declarations[0])?.getText();
      if (declaredName !== undefined && declaredName !== symbol.name) {
        lines.push(`// exported as ${symbol.name}`);
      }
      lines.push(...texts, "");
    }
    const hidden = unexportedReferences(allDeclarations, exportedSymbols, dtsFiles);
    if (hidden.length > 0) {
      lines.push("// Not exported, but part of the declarations above:");
      for (const { decl } of hidden) lines.push(printDeclaration(decl), "");
    }
    if (lines.at(-1) === "") lines.pop();
    lines.push("```");
  }
  return { file: join(reportDir, `${dir}.api.md`), text: `${lines.join("\n")}\n`, counts };
}

const reports = packages.map(report);

if (mode === "count") {
  for (const { counts } of reports) for (const { entry, count } of counts) console.log(`${entry}\t${count}`);
  process.exit(0);
}

if (mode === "write") {
  mkdirSync(reportDir, { recursive: true });
  for (const { file, text } of reports) writeFileSync(file, text);
  console.log(`api-report: wrote ${reports.length} reports in api/.`);
  process.exit(0);
}

// --check: every report must be the committed one, and no committed report may be stale.
let failures = 0;
const expectedFiles = new Set(reports.map((r) => r.file));
for (const { file, text } of reports) {
  const committed = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (committed === text) continue;
  failures++;
  const name = file.slice(root.length + 1);
  if (committed === undefined) {
    console.error(`${name}: missing.`);
    continue;
  }
  const before = new Set(committed.split("\n"));
  const after = new Set(text.split("\n"));
  console.error(`${name}: the public face changed:`);
  for (const line of committed.split("\n")) if (!after.has(line)) console.error(`  - ${line}`);
  for (const line of text.split("\n")) if (!before.has(line)) console.error(`  + ${line}`);
}
if (existsSync(reportDir)) {
  for (const f of readdirSync(reportDir)) {
    if (f.endsWith(".api.md") && !expectedFiles.has(join(reportDir, f))) {
      failures++;
      console.error(`api/${f}: no package has this report any more: delete it.`);
    }
  }
}
if (failures > 0) {
  console.error(
    "api-report: a public face differs from its report in api/. If the change is meant, run `pnpm api:update` and commit api/ with it.",
  );
  process.exit(1);
}
console.log(`api-report: ${reports.length} reports match.`);
