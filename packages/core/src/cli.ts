// Node-only entry (@gqn/core/cli): what every gqn-* command line shares (gqn-data in @gqn/data,
// gqn-synth in @gqn/scenes, gqn-train, gqn-eval and gqn-render in @gqn/train, and the examples'):
// one error format, the version, the flag parsers and the seed's spellings. The libraries'
// own entries never import it, so commander is a dependency of the command lines alone.
import { createRequire } from "node:module";
import { type Command, InvalidArgumentError } from "commander";
import { isGqnError } from "./errors.js";

// The commander classes the gqn-* command lines build on: one pinned commander for all of them.
export { Command, CommanderError, InvalidArgumentError, Option } from "commander";

/** A commander parser of an integer in `[min, max]` (the one integer flag parser of every gqn-* CLI). */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer >= ${min}.`
          : `expected an integer in [${min}, ${max}].`,
      );
    }
    return n;
  };
}

/** A commander parser of a finite number > 0 (`--minutes`, `--sigma`, `--adam-epsilon`). */
export function positiveNumberOption(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError("expected a positive number.");
  return n;
}

/**
 * One flag of a `node:util` parseArgs command line (the examples'), read with the parsers above:
 * `fallback` when absent, else `parse(text)`, its error naming the flag and the value.
 */
export function flagValue<T>(
  name: string,
  text: string | undefined,
  fallback: T,
  parse: (value: string) => T,
): T {
  if (text === undefined) return fallback;
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new InvalidArgumentError(`--${name}: ${error.message.replace(/\.$/, "")}, but got "${text}".`);
  }
}

/** The version of a @gqn package, from its own package.json (read through its exports map). */
export function packageVersion(packageName: string, fromUrl: string): string {
  return (createRequire(fromUrl)(`${packageName}/package.json`) as { version: string }).version;
}

/**
 * The tf-gqn spelling of a flag (`--data_dir`) named with the flag this command has
 * (`--data-dir`), as the one-line usage error to print; undefined when `argv` has none.
 * Checked before parsing: commander would first report the required `--data-dir` as missing.
 */
export function underscoreFlagError(command: Command, argv: readonly string[]): string | undefined {
  const known = new Set(
    [command, ...command.commands].flatMap((c) =>
      c.options.map((o) => o.long).filter((l): l is string => !!l),
    ),
  );
  for (const arg of argv) {
    const flag = arg.split("=")[0] as string;
    if (!flag.startsWith("--") || !flag.includes("_")) continue;
    const ours = flag.replace(/_/g, "-");
    return known.has(ours)
      ? `error: unknown option '${flag}'. Did you mean ${ours}? (the seed's underscores are hyphens here)`
      : `error: unknown option '${flag}'. Flags are spelled with hyphens: see --help.`;
  }
  return undefined;
}

/** Errors of the file system that mean "that path is not a writable directory", with the fix. */
const PATH_ERRORS: Readonly<Record<string, string>> = {
  EEXIST: "it exists and is not a directory. Choose another path",
  ENOTDIR: "a part of it is a file, not a directory. Choose another path",
  EACCES: "permission denied. Choose a path you can write to",
  EPERM: "permission denied. Choose a path you can write to",
  EROFS: "the file system is read-only. Choose a path you can write to",
  ENOSPC: "the disk is full. Free some space or choose another disk",
};

/**
 * A failure as the one line every gqn-* CLI prints: `<name>: <what is wrong>. <what to do>.` A
 * file-system error on a path says which path and what to do; anything unexpected says how to
 * see its stack. With `debug`, the stack follows.
 */
export function cliFailureLines(name: string, error: unknown, debug: boolean | undefined): string[] {
  const errno = error as NodeJS.ErrnoException;
  const fix = typeof errno?.code === "string" ? PATH_ERRORS[errno.code] : undefined;
  let line: string;
  if (fix && errno.path) {
    line = `${name}: cannot use ${errno.path}: ${fix}.`;
  } else {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
    // Messages of our errors start with the function that threw ("train: ..."), some with the
    // command itself ("gqn-data export: ..."): those are not prefixed twice.
    line = message.startsWith(`${name}:`) || message.startsWith(`${name} `) ? message : `${name}: ${message}`;
  }
  const lines = [line];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  else if (!fix && !isGqnError(error)) lines.push(`${name}: (an unexpected error; --debug prints its stack)`);
  return lines;
}
