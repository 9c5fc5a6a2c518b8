// The markdown a user reads, and the fenced code blocks in it: shared by the checks that run the
// docs' snippets and the ones that check their command lines.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The READMEs (root, packages/*, examples/*) and docs/*.md, relative to the root (not the generated API reference). */
export function markdownFiles(): string[] {
  const inDir = (dir: string) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
      .map((entry) => join(dir, entry.name));
  const readmes = ["packages", "examples"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(group, entry.name, "README.md"))
      .filter((path) => existsSync(join(root, path))),
  );
  return ["README.md", "CONTRIBUTING.md", ...readmes, "examples/README.md", ...inDir("docs")];
}

/** One fenced code block: its language, the words after it, and where its first code line is. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the block's first code line (the one after the fence). */
  line: number;
  lang: string;
  /** What follows the language on the fence line, e.g. `no-run browser only: IndexedDB`. */
  info: string;
  code: string;
}

/** The fenced blocks of a markdown text (``` fences at the start of a line). */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) break;
    blocks.push({
      file,
      line: i + 2,
      lang: open[1] ?? "",
      info: (open[2] ?? "").trim(),
      code: lines.slice(i + 1, end).join("\n"),
    });
    i = end;
  }
  return blocks;
}

/** `no-run <reason>` on the fence line; a bare `no-run` is refused by the test below. */
export function noRunReason(block: Pick<CodeBlock, "info">): string | undefined {
  const match = /^no-run\b\s*(.*)$/.exec(block.info);
  return match ? (match[1] ?? "") : undefined;
}

/** The file name a snippet gives itself on its first line (`// my-replica.js: ...`), if any. */
export function snippetFileName(code: string): string | undefined {
  return /^\/\/ ([\w.-]+\.(?:[mc]?[jt]s))\b/.exec(code)?.[1];
}

export function readDoc(file: string): string {
  return readFileSync(join(root, file), "utf8");
}
