// Node-only entry (@gqn/core/cli): what every gqn-* command line shares (gqn-data in @gqn/data,
// gqn-synth in @gqn/scenes, gqn-train in @gqn/train, gqn-eval and gqn-render in @gqn/eval, and
// the examples'): the command's setup, parsing and one error format, the version, the flag
// parsers and the seed's spellings. The libraries' own entries never import it, so commander is a
// dependency of the command lines alone.
import { accessSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { isGqnError } from "./errors.js";

// The commander classes the gqn-* command lines build on: one pinned commander for all of them.
export { Command, CommanderError, InvalidArgumentError, Option } from "commander";

/** Where a command line writes; defaults to the process streams (tests pass their own). */
export interface CliIo {
  /** Receives the final summary and `--help`. */
  stdout?: { write(text: string): unknown };
  /** Receives progress, log lines and errors. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The streams a command line writes to: the process's where `io` names none. */
type CliStreams = { stdout?: { write(text: string): unknown }; stderr?: { write(text: string): unknown } };

/**
 * A gqn-* command: `name` with its description and `--version` (the package's, from
 * {@link packageVersion}), writing to `io`, and throwing instead of exiting (see {@link parseCli}).
 */
export function cliCommand(name: string, description: string, version: string, io: CliStreams): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  return new Command(name)
    .description(description)
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) });
}

/**
 * Parses `argv` (the arguments after the command's name). Returns the exit code when the command
 * line is done already: 0 after `--help` or `--version`, 2 after a usage error (printed in one
 * line, the seed's underscore spellings included); undefined when the command should run.
 */
export function parseCli(command: Command, argv: readonly string[]): number | undefined {
  const seedSpelling = underscoreFlagError(command, argv);
  if (seedSpelling) {
    command.configureOutput().writeErr?.(`${seedSpelling}\n`);
    return 2;
  }
  try {
    command.parse(argv as string[], { from: "user" });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
}

/** Prints a failure in the one-line form of {@link cliFailureLines} (`debug`: with its stack); exit code 1. */
export function reportCliFailure(
  name: string,
  error: unknown,
  debug: boolean | undefined,
  io: CliStreams,
): 1 {
  const stderr = io.stderr ?? process.stderr;
  for (const line of cliFailureLines(name, error, debug)) stderr.write(`${line}\n`);
  return 1;
}

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

/** A commander parser of `NEAR,FAR`: two positive numbers, FAR > NEAR (`--depth-range`). */
export function depthRangeOption(value: string): [number, number] {
  const parts = value.split(/[,:]/).map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
  const [near, far] = parts;
  if (
    parts.length !== 2 ||
    !(near !== undefined && far !== undefined && near > 0 && far > near && Number.isFinite(far))
  ) {
    throw new InvalidArgumentError("expected NEAR,FAR (world units, 0 < NEAR < FAR, e.g. 0.2,7).");
  }
  return [near, far];
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

/** Errors of the file system that mean "that path cannot be written", with the fix. */
const PATH_ERRORS: Readonly<Record<string, string>> = {
  EEXIST: "it exists and is not a directory. Choose another path",
  ENOTDIR: "a part of it is a file, not a directory. Choose another path",
  EISDIR: "it is a directory, not a file. Choose another path",
  EACCES: "permission denied. Choose a path you can write to",
  EPERM: "permission denied. Choose a path you can write to",
  EROFS: "the file system is read-only. Choose a path you can write to",
  ENOSPC: "the disk is full. Free some space or choose another disk",
  EDQUOT: "the disk quota is used up. Free some space or choose another disk",
};

/** The file-system error behind `error` (itself, or a `cause` of a GqnError wrapping it). */
function fileSystemCause(error: unknown): NodeJS.ErrnoException | undefined {
  let at: unknown = error;
  for (let depth = 0; depth < 5 && at instanceof Error; depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (typeof code === "string" && (code in PATH_ERRORS || code === "ENOENT")) {
      return at as NodeJS.ErrnoException;
    }
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Node's recursive mkdir reports ENOENT where a parent cannot be written (a read-only disk, no
 * permission) or is a file: the real reason, found at the nearest part of the path that exists.
 */
function mkdirReason(path: string): { code: string; path: string } | undefined {
  let dir = resolve(path);
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
    let isDirectory: boolean;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch {
      continue;
    }
    if (!isDirectory) return { code: "ENOTDIR", path: dir };
    try {
      accessSync(dir, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return typeof code === "string" && code in PATH_ERRORS ? { code, path: dir } : undefined;
    }
  }
}

/**
 * A failure as the one line every gqn-* CLI prints: `<name>: <what is wrong>. <what to do>.` A
 * file-system error on a path (EROFS, ENOTDIR, ENOSPC, EACCES, EEXIST...), also one a GqnError
 * wraps, says which path and what to do; anything unexpected says how to see its stack. With
 * `debug`, the stack follows.
 */
export function cliFailureLines(name: string, error: unknown, debug: boolean | undefined): string[] {
  const errno = fileSystemCause(error);
  let code = errno?.code;
  let path = errno?.path;
  // A recursive mkdir names the whole path it was given, not the part at fault.
  if ((code === "ENOENT" || code === "ENOTDIR") && errno?.syscall === "mkdir" && path) {
    const found = mkdirReason(path);
    if (found) ({ code, path } = found);
  }
  const fix = code !== undefined ? PATH_ERRORS[code] : undefined;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
  let line: string;
  if (fix && path) {
    line = `${name}: cannot use ${path}: ${fix}.`;
  } else if (fix) {
    // No path in the error (a write to an open file): the message names the file, the fix follows.
    line = `${prefixed(name, message.replace(/\.?$/, ""))}: ${fix}.`;
  } else {
    line = prefixed(name, message);
  }
  const lines = [line];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  else if (!fix && !isGqnError(error)) lines.push(`${name}: (an unexpected error; --debug prints its stack)`);
  return lines;
}

/**
 * Messages of our errors start with the function that threw ("train: ..."), some with the
 * command itself ("gqn-data export: ..."): those are not prefixed twice.
 */
function prefixed(name: string, message: string): string {
  return message.startsWith(`${name}:`) || message.startsWith(`${name} `) ? message : `${name}: ${message}`;
}
