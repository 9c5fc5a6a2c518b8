import { constants } from "node:fs";
import { type FileHandle, mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { GqnError } from "@gqn/core";
import { withPath, writeFileAtomic } from "@gqn/core/node";

/**
 * One line of `log.jsonl`: a training step (`split: "train"`) or an evaluation on the test split
 * (`split: "test"`, with `mse` and `psnr`). Losses in nats per image; `bitsPerDim` is the ELBO
 * per pixel channel in bits.
 */
export interface LogRecord {
  split: "train" | "test";
  /** The number of updates applied when the record was taken. */
  step: number;
  /** The negative ELBO, `nll + kl`. */
  elbo: number;
  nll: number;
  kl: number;
  bitsPerDim?: number;
  /** The learning rate and pixel sigma of the schedules at this step. */
  lr: number;
  sigma: number;
  /** Bad training records skipped so far, per file (train; `onCorrupt: "skip"` only). */
  skipped?: Record<string, number>;
  /** DRAW steps of the training step's pass (train). */
  drawSteps?: number;
  /** Milliseconds of the training step (train) or of the whole evaluation (test). */
  stepMs: number;
  /** Training steps per second over the last logging interval (train). */
  stepsPerSecond?: number;
  /** Mean squared error and PSNR (dB) of the prior's predicted mean image vs the target (test). */
  mse?: number;
  psnr?: number;
  /**
   * PSNR (dB) of one prior render over the query views' object pixels and over the rest, and the
   * object-placement IoU (test, on datasets with object masks; see gqn-eval's object scores).
   */
  objectPsnr?: number;
  backgroundPsnr?: number;
  objectIou?: number;
  /** Wall-clock time, ISO 8601. */
  time: string;
}

/** Appends {@link LogRecord}s to a JSON-lines file, one object per line, in order. */
export class RunLog {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The log file. */
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Opens `path` for appending (a resumed run continues the same file). With `dropAfterStep`,
   * records of later steps (written after the checkpoint a run resumes from) are removed first.
   */
  static async open(path: string, options: { dropAfterStep?: number } = {}): Promise<RunLog> {
    await mkdir(dirname(path), { recursive: true });
    if (options.dropAfterStep !== undefined) await dropAfter(path, options.dropAfterStep);
    // O_NOFOLLOW: a link planted at the log's name is refused, never appended through.
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    try {
      return new RunLog(path, await open(path, flags, 0o644));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOOP") throw error;
      throw new GqnError(
        "IO_ERROR",
        `RunLog: ${path} is a symbolic link: a run writes its log into its own directory only. Remove the link (or choose another model dir).`,
      );
    }
  }

  /** Queues one record; a non-finite number is written as `null` (JSON has none). */
  append(record: LogRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const written = this.queue.then(() =>
      this.handle.appendFile(line).catch((error: unknown) => {
        throw withPath(error, this.path);
      }),
    );
    this.queue = written.catch(() => {});
    return written;
  }

  /** Waits for the queued lines, then closes the file. */
  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}

async function dropAfter(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return; // no log yet
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  // A line cut by a crash does not parse: it goes too.
  const kept = lines.filter((line) => {
    try {
      const record = JSON.parse(line) as { step?: unknown };
      return typeof record.step === "number" && record.step <= step;
    } catch {
      return false;
    }
  });
  if (kept.length !== lines.length) {
    await writeFileAtomic(path, kept.length > 0 ? `${kept.join("\n")}\n` : "");
  }
}
