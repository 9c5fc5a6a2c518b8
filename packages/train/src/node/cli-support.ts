// What the gqn-* CLIs share: output streams, number parsers, one-line errors.
import {
  cliFailureLines,
  integerOption,
  packageVersion,
  positiveNumberOption,
  underscoreFlagError,
} from "@gqn/core/cli";
import { Command, CommanderError, InvalidArgumentError } from "commander";

/** Where a CLI writes; defaults to the process streams (tests pass their own). */
export interface CliIo {
  /** Receives the final summary and `--help`. */
  stdout?: { write(text: string): unknown };
  /** Receives progress, log lines and errors. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

/** An integer >= `min` (and <= `max`, when given: a bound on what a flag can allocate); the shared parser of @gqn/core/cli. */
export const integer = (min: number, max?: number) => integerOption(min, max);

/** A number > 0 (the shared parser of @gqn/core/cli). */
export const positive = positiveNumberOption;

/** `NEAR,FAR`: two positive numbers, FAR > NEAR (`--depth-range`). */
export function depthRange(value: string): [number, number] {
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

/** A count N >= 1, or `MIN-MAX` / `MIN:MAX` drawn per batch (`--context-size`, `--draw-steps`). */
export function countOrRange(value: string): number | { min: number; max: number } {
  const range = /^(\d+)\s*[-:]\s*(\d+)$/.exec(value.trim());
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min >= 1 && max >= min) return { min, max };
  } else if (/^\d+$/.test(value.trim()) && Number(value) >= 1) {
    return Number(value);
  }
  throw new InvalidArgumentError("expected N >= 1, or MIN-MAX with 1 <= MIN <= MAX.");
}

/**
 * A linear schedule `START:END:STEPS` (e.g. `5e-4:5e-5:1.6e6`), or one number for a constant
 * (`--lr`, `--sigma`).
 */
export function schedule(value: string): { start: number; end: number; steps: number } {
  const parts = value.split(":").map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
  const [start, end, steps] = parts.length === 1 ? [parts[0], parts[0], 1] : parts;
  const valid = [start, end, steps].every((n) => n !== undefined && Number.isFinite(n) && n > 0);
  if (!valid || (parts.length !== 1 && parts.length !== 3)) {
    throw new InvalidArgumentError(
      "expected START:END:STEPS (positive numbers, e.g. 5e-4:5e-5:1.6e6), or one number.",
    );
  }
  return { start: start as number, end: end as number, steps: steps as number };
}

/** A number in [0, 1) (`--adam-beta1`, `--adam-beta2`). */
export function unitInterval(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError("expected a number in [0, 1).");
  return n;
}

export function program(name: string, description: string, io: CliIo): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  return new Command(name)
    .description(description)
    .version(packageVersion("@gqn/train", import.meta.url))
    .exitOverride()
    .configureOutput({ writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) });
}

/** Parses `argv`; a usage error has been printed (one line) when it returns a number. */
export function parse(command: Command, argv: readonly string[]): number | undefined {
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

/** Prints a failure as one line (`--debug`: with its stack) and gives exit code 1. */
export function fail(name: string, error: unknown, debug: boolean | undefined, io: CliIo): number {
  const stderr = io.stderr ?? process.stderr;
  for (const line of cliFailureLines(name, error, debug)) stderr.write(`${line}\n`);
  return 1;
}
