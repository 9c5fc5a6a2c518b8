#!/usr/bin/env node
// Exports nothing imports: a name a source module exports that no other file of the repository
// (sources, tests, examples, scripts) imports, and no package entry re-exports. Such an export
// widens a module's face for nothing; drop the `export` (or the code). Entries' own exports are
// the public API, which api/*.api.md gates (scripts/api-report.mjs).
//
//   node scripts/unused-exports.mjs     exit 1, listing `file: name`, when there is any
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const workspaces = ["packages", "examples", "tests"].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group))
        .map((name) => join(root, group, name))
        .filter((dir) => existsSync(join(dir, "package.json")))
    : [],
);
const files = [...workspaces.flatMap((dir) => walk(dir)), ...walk(join(root, "scripts"))];

/** Each workspace package by name: its directory and its entries (`@gqn/source` targets). */
const packages = new Map();
const entries = new Set();
for (const dir of workspaces) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const exportsMap = {};
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const source = typeof target === "object" ? target["@gqn/source"] : undefined;
    if (source) {
      exportsMap[subpath] = join(dir, source);
      entries.add(join(dir, source));
    }
  }
  // Every tsup entry is an entry too (worker scripts are started by URL, not imported).
  const tsup = join(dir, "tsup.config.ts");
  if (existsSync(tsup)) {
    for (const match of readFileSync(tsup, "utf8").matchAll(/"(src\/[\w/.-]+\.ts)"/g)) {
      entries.add(join(dir, match[1]));
    }
  }
  packages.set(manifest.name, { dir, exportsMap });
}

/** The file a module specifier names, or undefined (a third-party module). */
function resolveSpecifier(from, specifier) {
  if (specifier.startsWith(".")) {
    const base = resolve(dirname(from), specifier);
    const distMatch = /[\\/]dist[\\/]([\w-]+)\.(c?js|mjs)$/.exec(base);
    const candidates = distMatch
      ? [join(base, "..", "..", "src", `${distMatch[1]}.ts`)]
      : [
          base,
          base.replace(/\.(c?js|mjs)$/, ".ts"),
          base.replace(/\.(c?js|mjs)$/, ".tsx"),
          `${base}.ts`,
          join(base, "index.ts"),
        ];
    return candidates.find((c) => existsSync(c) && statSync(c).isFile());
  }
  const match = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(specifier);
  const pkg = match && packages.get(match[1]);
  if (!pkg) return undefined;
  return pkg.exportsMap[match[2] ? `.${match[2]}` : "."];
}

/** Per file: the names it exports (own declarations only) and what it uses of other files. */
const exported = new Map(); // file -> Set(name)
const used = new Map(); // file -> Set(name | "*")
const use = (file, name) => {
  if (!file) return;
  if (!used.has(file)) used.set(file, new Set());
  used.get(file).add(name);
};

for (const file of files) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const own = new Set();
  const types = new Set();
  const hasExport = (node) => ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveSpecifier(file, node.moduleSpecifier.text);
      const clause = node.importClause;
      if (!clause)
        use(target, "*"); // a side-effect import
      else {
        if (clause.name) use(target, "default");
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) use(target, "*");
        else if (bindings) for (const el of bindings.elements) use(target, (el.propertyName ?? el.name).text);
      }
    } else if (ts.isExportDeclaration(node)) {
      const target =
        node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
          ? resolveSpecifier(file, node.moduleSpecifier.text)
          : undefined;
      if (!node.exportClause) use(target, "*");
      else if (ts.isNamedExports(node.exportClause)) {
        for (const el of node.exportClause.elements) {
          if (target) use(target, (el.propertyName ?? el.name).text);
          else own.add(el.name.text);
        }
      } else use(target, "*");
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      use(resolveSpecifier(file, node.arguments[0].text), "*");
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "URL" &&
      node.arguments?.[0] &&
      ts.isStringLiteralLike(node.arguments[0]) &&
      node.arguments[0].text.startsWith(".")
    ) {
      // new URL("./worker.js", import.meta.url): a module started by URL.
      use(resolveSpecifier(file, node.arguments[0].text), "*");
    } else if (hasExport(node)) {
      if (ts.isVariableStatement(node)) {
        for (const decl of node.declarationList.declarations) {
          if (ts.isIdentifier(decl.name)) own.add(decl.name.text);
        }
      } else if (node.name && ts.isIdentifier(node.name)) {
        const isDefault = ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
        const name = isDefault ? "default" : node.name.text;
        own.add(name);
        if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) types.add(name);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // A type that the module's own declarations use is part of their signatures: users name it
  // when they need it, so it may stay exported with no importer.
  const mentions = new Map();
  const count = (node) => {
    if (ts.isIdentifier(node)) mentions.set(node.text, (mentions.get(node.text) ?? 0) + 1);
    ts.forEachChild(node, count);
  };
  count(source);
  for (const name of types) if ((mentions.get(name) ?? 0) > 1) own.delete(name);
  exported.set(file, own);
}

const unused = [];
for (const [file, names] of exported) {
  if (entries.has(file) || !/[\\/]src[\\/]/.test(relative(root, file))) continue;
  if (/\.test\.tsx?$/.test(file) || /[\\/]test[\\/]/.test(relative(root, file))) continue;
  const seen = used.get(file) ?? new Set();
  if (seen.has("*")) continue;
  for (const name of names) if (!seen.has(name)) unused.push(`${relative(root, file)}: ${name}`);
}

if (unused.length > 0) {
  console.error("unused-exports: exported, but imported by no other file and re-exported by no entry:");
  for (const line of unused.sort()) console.error(`  ${line}`);
  console.error("Drop the `export` (or the code), or import the name where it is meant to be used.");
  process.exit(1);
}
console.log(`unused-exports: every export of ${exported.size} files has a user.`);
