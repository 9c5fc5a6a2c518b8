import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

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
  /** Milliseconds of the training step (train) or of the whole evaluation (test). */
  stepMs: number;
  /** Training steps per second over the last logging interval (train). */
  stepsPerSecond?: number;
  /** Mean squared error and PSNR (dB) of the prior's predicted mean image vs the target (test). */
  mse?: number;
  psnr?: number;
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

  /** Opens `path` for appending (a resumed run continues the same file). */
  static async open(path: string): Promise<RunLog> {
    await mkdir(dirname(path), { recursive: true });
    return new RunLog(path, await open(path, "a"));
  }

  /** Queues one record; a non-finite number is written as `null` (JSON has none). */
  append(record: LogRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const written = this.queue.then(() => this.handle.appendFile(line));
    this.queue = written.catch(() => {});
    return written;
  }

  /** Waits for the queued lines, then closes the file. */
  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }
}
