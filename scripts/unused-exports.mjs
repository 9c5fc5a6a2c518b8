#!/usr/bin/env node
// Exports nothing uses, in two kinds.
//
// Module exports: a name a source module exports that no other file of the repository (sources,
// tests, examples, scripts) imports, and no package entry re-exports. Such an export widens a
// module's face for nothing; drop the `export` (or the code).
//
// Entry exports: a name a package entry (a "@gqn/source" target of package.json "exports") exports
// that nothing outside its package uses: no other workspace package's non-test source, no file of
// examples/ or scripts/, no code snippet of the docs or READMEs. Imports from tests (*.test.ts, and
// test/ and tests/ folders, in any package) do not count: a name only tests need is a test seam, not
// API. A name an entry takes from another entry of its package with `export *` is reported (and
// counted) under that other entry. A type that the signature of a used entry export names (a
// parameter, a return type, a class member, a field of a used type) counts as used: users name it
// when they need it, as for module-level types below.
//
//   node scripts/unused-exports.mjs                 exit 1, listing `file: name` and
//                                                   `package entry: name`, when there is any
//   node scripts/unused-exports.mjs --entries-only  only the entry check
//   node scripts/unused-exports.mjs --root DIR      check the workspace at DIR (the tests' fixtures)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const argv = process.argv.slice(2);
const rootArg = argv.indexOf("--root");
const root =
  rootArg >= 0 ? resolve(argv[rootArg + 1] ?? ".") : resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entriesOnly = argv.includes("--entries-only");
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
/** The public entries: source file -> `package` or `package/subpath`, as users import it. */
const publicEntries = new Map();
for (const dir of workspaces) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const exportsMap = {};
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const source = typeof target === "object" ? target["@gqn/source"] : undefined;
    if (source) {
      exportsMap[subpath] = join(dir, source);
      entries.add(join(dir, source));
      publicEntries.set(
        join(dir, source),
        subpath === "." ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
      );
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

/** The workspace folder (or top-level folder) a file belongs to: imports from it are "its package's". */
const owner = (file) =>
  workspaces.find((dir) => file.startsWith(dir + sep)) ?? relative(root, file).split(sep)[0];
const isTest = (file) =>
  /\.(test|spec)\.[cm]?[jt]sx?$/.test(file) ||
  /(^|[\\/])(test|tests)[\\/]/.test(relative(root, file)) ||
  /(^|[\\/])(vitest\.config\.[cm]?[jt]s|test-[\w-]+\.ts)$/.test(file);

/** Per file: the names it exports (own declarations only) and what it uses of other files. */
const exported = new Map(); // file -> Set(name)
const used = new Map(); // file -> Set(name | "*")
const use = (file, name) => {
  if (!file) return;
  if (!used.has(file)) used.set(file, new Set());
  used.get(file).add(name);
};
/** Each import of a workspace file by name: `{ from, target, name }` ("*": all of it). */
const imports = [];
/** Per file, what the entry check needs to follow names: see `parse`. */
const modules = new Map();

/** Records one file's (or one doc snippet's) imports and exports; returns its exported names. */
function parse(file, text, importer = file) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const info = {
    top: new Map(), // name -> declaration nodes (exported or not)
    typeOnly: new Set(), // exported names that are types only
    local: new Map(), // `export { a as b }`: b -> a
    reexports: new Map(), // `export { a as b } from "x"`: b -> { target, name }
    stars: [], // `export * from "x"`: targets
    bindings: new Map(), // `import { a as b } from "x"`: b -> { target, name }
  };
  const note = (target, name) => {
    use(target, name);
    if (target) imports.push({ from: importer, target, name });
  };
  const own = new Set();
  const types = new Set();
  const hasExport = (node) => ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const declare = (name, node) => info.top.set(name, [...(info.top.get(name) ?? []), node]);
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveSpecifier(file, node.moduleSpecifier.text);
      const clause = node.importClause;
      if (!clause)
        note(target, "*"); // a side-effect import
      else {
        if (clause.name) note(target, "default");
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) note(target, "*");
        else if (bindings) {
          for (const el of bindings.elements) {
            const name = (el.propertyName ?? el.name).text;
            note(target, name);
            info.bindings.set(el.name.text, { target, name });
          }
        }
      }
    } else if (ts.isExportDeclaration(node)) {
      const target =
        node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
          ? resolveSpecifier(file, node.moduleSpecifier.text)
          : undefined;
      if (!node.exportClause) {
        note(target, "*");
        if (target) info.stars.push(target);
      } else if (ts.isNamedExports(node.exportClause)) {
        for (const el of node.exportClause.elements) {
          const name = (el.propertyName ?? el.name).text;
          if (node.isTypeOnly || el.isTypeOnly) info.typeOnly.add(el.name.text);
          if (node.moduleSpecifier) {
            note(target, name);
            info.reexports.set(el.name.text, { target, name });
          } else {
            own.add(el.name.text);
            info.local.set(el.name.text, name);
          }
        }
      } else note(target, "*");
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      // `const { a, b } = await import("x")` uses a and b; anything else uses all of x.
      const target = resolveSpecifier(file, node.arguments[0].text);
      const parent = ts.isAwaitExpression(node.parent) ? node.parent.parent : node.parent;
      if (parent && ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
        for (const el of parent.name.elements) {
          const name = el.propertyName ?? el.name;
          if (ts.isIdentifier(name)) note(target, name.text);
        }
      } else note(target, "*");
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "URL" &&
      node.arguments?.[0] &&
      ts.isStringLiteralLike(node.arguments[0]) &&
      node.arguments[0].text.startsWith(".")
    ) {
      // new URL("./worker.js", import.meta.url): a module started by URL.
      note(resolveSpecifier(file, node.arguments[0].text), "*");
    } else if (node.parent === source) {
      if (ts.isVariableStatement(node)) {
        for (const decl of node.declarationList.declarations) {
          if (!ts.isIdentifier(decl.name)) continue;
          declare(decl.name.text, decl);
          if (hasExport(node)) own.add(decl.name.text);
        }
      } else if (node.name && ts.isIdentifier(node.name)) {
        const isDefault = ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
        const name = hasExport(node) && isDefault ? "default" : node.name.text;
        declare(name, node);
        if (hasExport(node)) {
          own.add(name);
          if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) types.add(name);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  modules.set(file, { ...info, exported: new Set(own) });
  // A type that the module's own declarations use is part of their signatures: users name it
  // when they need it, so it may stay exported with no importer.
  const mentions = new Map();
  const count = (node) => {
    if (ts.isIdentifier(node)) mentions.set(node.text, (mentions.get(node.text) ?? 0) + 1);
    ts.forEachChild(node, count);
  };
  count(source);
  for (const name of types) if ((mentions.get(name) ?? 0) > 1) own.delete(name);
  return own;
}

for (const file of files) exported.set(file, parse(file, readFileSync(file, "utf8")));

// The docs' code snippets (READMEs, docs/*.md, as tests/repo's doc checks read them) use names too.
const markdown = [
  "README.md",
  "CONTRIBUTING.md",
  ...["packages", "examples"].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group)).map((name) => join(group, name, "README.md"))
      : [],
  ),
  "examples/README.md",
  ...(existsSync(join(root, "docs"))
    ? readdirSync(join(root, "docs"))
        .filter((name) => name.endsWith(".md"))
        .map((name) => join("docs", name))
    : []),
].filter((path) => existsSync(join(root, path)));
for (const path of markdown) {
  const lines = readFileSync(join(root, path), "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript|tsx|js|javascript|mjs)\b/.exec(lines[i]);
    const end = open ? lines.findIndex((l, j) => j > i && /^```\s*$/.test(l)) : -1;
    if (end < 0) continue;
    const snippet = join(root, path);
    parse(`${snippet}.snippet-${i + 1}.ts`, lines.slice(i + 1, end).join("\n"), snippet);
    modules.delete(`${snippet}.snippet-${i + 1}.ts`);
    i = end;
  }
}

/** Every name a module exports, `export *` included. */
function namesOf(file, seen = new Set()) {
  const info = modules.get(file);
  if (!info || seen.has(file)) return new Set();
  seen.add(file);
  const names = new Set([...info.exported, ...info.reexports.keys()]);
  for (const star of info.stars)
    for (const name of namesOf(star, seen)) if (name !== "default") names.add(name);
  return names;
}

/** Where `name`, as `file` exports or sees it, is declared: `{ file, name, nodes, typeOnly }`. */
function declaration(file, name, seen = 0) {
  const info = modules.get(file);
  if (!info || seen > 32) return undefined;
  const local = info.local.get(name) ?? name;
  const follow = info.reexports.get(name) ?? info.bindings.get(local);
  const found = info.top.has(local)
    ? { file, name: local, nodes: info.top.get(local), typeOnly: false }
    : follow
      ? follow.target && declaration(follow.target, follow.name, seen + 1)
      : info.stars.map((star) => declaration(star, name, seen + 1)).find(Boolean);
  if (!found) return undefined;
  const isType = (n) => ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n);
  return { ...found, typeOnly: found.typeOnly || info.typeOnly.has(name) || found.nodes.every(isType) };
}
const key = (decl) => `${decl.file}#${decl.name}`;

/** The declarations of types a declaration's signature names (bodies, initialisers and private members aside). */
const signatures = new Map();
function signatureTypes(decl) {
  if (signatures.has(key(decl))) return signatures.get(key(decl));
  const out = new Set();
  signatures.set(key(decl), out);
  const visit = (node) => {
    if (ts.isBlock(node)) return;
    if (ts.getModifiers?.(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
    if (node.name && ts.isPrivateIdentifier(node.name)) return;
    const name = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isExpressionWithTypeArguments(node)
        ? node.expression
        : ts.isTypeQueryNode(node)
          ? node.exprName
          : undefined;
    if (name && ts.isIdentifier(name)) {
      const found = declaration(decl.file, name.text);
      if (found) out.add(key(found));
    }
    if (ts.isPropertyDeclaration(node) || ts.isVariableDeclaration(node)) {
      if (node.type) visit(node.type);
      if (
        node.initializer &&
        (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
      )
        visit(node.initializer);
      return;
    }
    ts.forEachChild(node, visit);
  };
  for (const node of decl.nodes) visit(node);
  return out;
}

/** Per public entry: name -> its declaration; names taken by `export *` from another entry stay there. */
const entryNames = new Map();
for (const entry of publicEntries.keys()) {
  const info = modules.get(entry);
  const names = new Set([...info.exported, ...info.reexports.keys()]);
  for (const star of info.stars) {
    if (!publicEntries.has(star)) for (const name of namesOf(star)) if (name !== "default") names.add(name);
  }
  entryNames.set(entry, new Map([...names].map((name) => [name, declaration(entry, name)])));
}

/** `entry#name` for each entry export with a caller outside its package (tests aside). */
const called = new Set();
const call = (entry, name) => {
  const names = entryNames.get(entry);
  if (!names || called.has(`${entry}#${name}`)) return;
  if (names.has(name)) called.add(`${entry}#${name}`);
  // A name this entry takes by `export *` from another entry is that entry's.
  else for (const star of modules.get(entry).stars) if (publicEntries.has(star)) call(star, name);
};
for (const { from, target, name } of imports) {
  // A package's README shows its own names to users: its snippets count, unlike its own sources.
  if (!publicEntries.has(target) || isTest(from) || (owner(from) === owner(target) && !from.endsWith(".md")))
    continue;
  if (name !== "*") call(target, name);
  else for (const each of namesOf(target)) call(target, each);
}
// Types the signatures of called exports name are called with them, until nothing changes.
for (let grew = true; grew; ) {
  grew = false;
  const named = new Set();
  for (const [entry, names] of entryNames) {
    for (const [name, decl] of names)
      if (decl && called.has(`${entry}#${name}`)) for (const k of signatureTypes(decl)) named.add(k);
  }
  for (const [entry, names] of entryNames) {
    for (const [name, decl] of names) {
      if (decl?.typeOnly && !called.has(`${entry}#${name}`) && named.has(key(decl))) {
        called.add(`${entry}#${name}`);
        grew = true;
      }
    }
  }
}

const unusedEntries = [];
for (const [entry, names] of entryNames) {
  for (const name of names.keys()) {
    if (!called.has(`${entry}#${name}`)) unusedEntries.push(`${publicEntries.get(entry)}: ${name}`);
  }
}

const unused = [];
for (const [file, names] of entriesOnly ? [] : exported) {
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
}
if (unusedEntries.length > 0) {
  console.error(
    "unused-exports: exported by a package entry, but used outside the package by no source, example, doc snippet or script (tests do not count):",
  );
  for (const line of unusedEntries.sort()) console.error(`  ${line}`);
  console.error(
    "Drop the name from the entry if users do not need it, or show its use in the docs or an example.",
  );
}
if (unused.length > 0 || unusedEntries.length > 0) process.exit(1);
console.log(
  `unused-exports: every export of ${exported.size} files and ${publicEntries.size} package entries has a user.`,
);
