// Shell lines of the docs run in the test suite with budgets cut to seconds: the same commands and
// flags as written, with smaller numbers (and, for gqn-train, one evaluation batch).

/** [flag, value] pairs that replace the value a doc line gives, per CLI. */
const BUDGETS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  "gqn-synth": [
    ["--train-scenes", "8"],
    ["--test-scenes", "4"],
  ],
  "gqn-train": [
    ["--steps", "2"],
    ["--max-minutes", "0.02"],
    ["--batch-size", "2"],
    ["--eval-batches", "1"],
  ],
  "gqn-eval": [
    ["--scenes", "2"],
    ["--samples", "2"],
  ],
  "gqn-render": [
    ["--scenes", "1"],
    ["--orbit", "3"],
  ],
};

/** Flags added to every line of a CLI when the line does not give them. */
const ADDED: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  "gqn-train": [
    ["--batch-size", "2"],
    ["--eval-batches", "1"],
  ],
  "gqn-eval": [["--scenes", "2"]],
  "gqn-render": [["--scenes", "1"]],
};

/** A doc's shell line with its budgets cut: `pnpm gqn-train ... --steps 20000` -> `... --steps 2`. */
export function withShortBudget(line: string): string {
  const cli = /^\s*(?:pnpm |npx )?(gqn-[a-z]+)\b/.exec(line)?.[1];
  if (cli === undefined) return line;
  const [code, comment = ""] = splitComment(line);
  let out = code.trimEnd();
  for (const [flag, value] of BUDGETS[cli] ?? []) {
    out = out.replace(new RegExp(`(${flag})(=|\\s+)\\S+`), `$1 ${value}`);
  }
  for (const [flag, value] of ADDED[cli] ?? []) {
    if (!new RegExp(`${flag}\\b`).test(out)) out += ` ${flag} ${value}`;
  }
  return comment ? `${out}   ${comment}` : out;
}

function splitComment(line: string): [string, string?] {
  const at = line.search(/\s#/);
  return at < 0 ? [line] : [line.slice(0, at), line.slice(at).trim()];
}
