// Every command line of our CLIs that the READMEs and docs show, checked against the CLI itself:
// the command (and subcommand) exists, and every flag the line uses is one that its --help lists.
// A renamed or removed flag then fails here instead of in a reader's terminal.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markdownFiles, readDoc, root } from "./doc-files.js";

/** Each CLI's bin, relative to the repository root. */
const CLIS: Readonly<Record<string, string>> = {
  "gqn-train": "packages/train/bin/gqn-train.mjs",
  "gqn-eval": "packages/eval/bin/gqn-eval.mjs",
  "gqn-render": "packages/eval/bin/gqn-render.mjs",
  "gqn-data": "packages/data/bin/gqn-data.mjs",
  "gqn-synth": "packages/scenes/bin/gqn-synth.mjs",
};

/** The page that is each CLI's reference: it names every flag that the CLI's --help lists. */
const REFERENCE_PAGES: Readonly<Record<string, string>> = {
  "gqn-train": "docs/training.md",
  "gqn-eval": "docs/training.md",
  "gqn-render": "docs/training.md",
  "gqn-data": "packages/data/README.md",
  "gqn-synth": "packages/scenes/README.md",
};

interface DocCommand {
  file: string;
  line: string;
  cli: string;
  words: string[];
}

/**
 * Command lines of our CLIs: lines of fenced code blocks (continuations joined) and inline code
 * spans that start with `gqn-<cli>` (after an optional `pnpm `, `npx ` or `$ `) and have arguments.
 */
function docCommands(file: string, text: string): DocCommand[] {
  const candidates: string[] = [];
  for (const block of text.matchAll(/^```(?:sh|bash|)(?:[ \t][^\n]*)?\n([\s\S]*?)^```/gm)) {
    // Shell continuations, and usage lines whose wrapped options start with "[", join their command.
    const joined = (block[1] ?? "").replace(/\\\n\s*/g, " ").replace(/\n\s+(?=\[)/g, " ");
    candidates.push(...joined.split("\n"));
  }
  for (const span of text.matchAll(/`([^`\n]+)`/g)) candidates.push(span[1] ?? "");
  const commands: DocCommand[] = [];
  for (const candidate of candidates) {
    const line = candidate.replace(/\s+#.*$/, "").trim();
    const words = line.replace(/^(\$ |pnpm |npx )/, "").split(/\s+/);
    const cli = words[0] ?? "";
    if (CLIS[cli] && words.length > 1) commands.push({ file, line, cli, words: words.slice(1) });
  }
  return commands;
}

const helpCache = new Map<string, string>();

/** `<cli> [subcommand] --help`, run from the built package. */
function help(cli: string, subcommand?: string): string {
  const key = `${cli} ${subcommand ?? ""}`;
  let text = helpCache.get(key);
  if (text === undefined) {
    const args = [join(root, CLIS[cli] as string), ...(subcommand ? [subcommand] : []), "--help"];
    text = execFileSync(process.execPath, args, { encoding: "utf8" });
    helpCache.set(key, text);
  }
  return text;
}

/** The subcommands a CLI's --help lists under "Commands:" (none for single-command CLIs). */
function subcommands(cli: string): string[] {
  const section = help(cli).split(/^Commands:\n/m)[1] ?? "";
  return [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] as string).filter((c) => c !== "help");
}

const commands = markdownFiles().flatMap((file) => docCommands(file, readDoc(file)));

describe("command lines in the docs", () => {
  it("are found (the docs do show our CLIs)", () => {
    const clis = new Set(commands.map((c) => c.cli));
    for (const cli of ["gqn-train", "gqn-eval", "gqn-render", "gqn-synth", "gqn-data"])
      expect(clis).toContain(cli);
  });

  it.each(commands.map((c) => [`${c.file}: ${c.line}`, c] as const))("%s", (_name, command) => {
    expect(unknownFlags(command), `flags that ${command.cli} --help does not list`).toEqual([]);
  });
});

/** The flags of a --help text's option lines (not those its descriptions mention), less --help and --version. */
function helpFlags(text: string): string[] {
  const flags = [...text.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1] as string);
  return flags.filter((flag) => flag !== "--help" && flag !== "--version");
}

describe.each(Object.entries(REFERENCE_PAGES))("%s's reference page, %s", (cli, page) => {
  it("names every flag of its --help", () => {
    const text = readDoc(page);
    const missing = [undefined, ...subcommands(cli)].flatMap((subcommand) =>
      helpFlags(help(cli, subcommand))
        .filter((flag) => !new RegExp(`${flag}(?![\\w-])`).test(text))
        .map((flag) => `${cli}${subcommand ? ` ${subcommand}` : ""} ${flag}`),
    );
    expect([...new Set(missing)], `flags that ${page} does not mention`).toEqual([]);
  });
});

/** The subcommand and flags of a doc command that its CLI's --help does not list. */
function unknownFlags(command: Pick<DocCommand, "cli" | "words">): string[] {
  const known = subcommands(command.cli);
  const first = command.words[0] ?? "";
  const subcommand = known.length > 0 && !first.startsWith("-") ? first : undefined;
  if (subcommand !== undefined && !known.includes(subcommand)) return [subcommand];
  const text = help(command.cli, subcommand);
  const flags = command.words.join(" ").match(/--[a-z][a-z0-9-]*/g) ?? [];
  return flags.filter((flag) => !new RegExp(`(^|[\\s,])${flag}\\b`, "m").test(text));
}

describe("helpFlags", () => {
  it("reads option lines only", () => {
    const text =
      "Options:\n  -V, --version  v\n  --lr <s>   rate (tf-gqn: --adam_lr_*)\n  --no-progress  x\n                 --wrapped-mention\n  -h, --help  h\n";
    expect(helpFlags(text)).toEqual(["--lr", "--no-progress"]);
  });
});

describe("docCommands", () => {
  it("reads fenced lines, continuations and inline spans, and skips prose mentions", () => {
    const md = [
      "Run `pnpm gqn-eval --model-dir m` or see the `gqn-train` CLI.",
      "```sh",
      "# a comment",
      "pnpm gqn-train --data-dir d \\",
      "  --steps 3   # trailing comment",
      "npm install @gqn/train",
      "```",
    ].join("\n");
    expect(docCommands("x.md", md).map((c) => [c.cli, c.words.join(" ")])).toEqual([
      ["gqn-train", "--data-dir d --steps 3"],
      ["gqn-eval", "--model-dir m"],
    ]);
    const usage = "```\ngqn-eval --model-dir M\n          [--samples N] [--frobnicate]\n```\n";
    expect(docCommands("y.md", usage)[0]?.words.join(" ")).toBe("--model-dir M [--samples N] [--frobnicate]");
  });

  it("catches the flags and subcommands a CLI does not have", () => {
    expect(unknownFlags({ cli: "gqn-data", words: ["verify", "--data-dir", "d", "--quiet"] })).toEqual([
      "--data-dir",
    ]);
    expect(unknownFlags({ cli: "gqn-data", words: ["check", "d"] })).toEqual(["check"]);
    expect(unknownFlags({ cli: "gqn-train", words: ["--lr", "1:2:3", "--no-progress"] })).toEqual([]);
  });
});
