import cliProgress from "cli-progress";

/** What the progress line shows after each step. */
export interface ProgressValues {
  elbo: number;
  nll: number;
  kl: number;
  lr: number;
  sigma: number;
  /** Training steps per second, averaged over recent steps. */
  stepsPerSecond: number;
  /** Bad training records skipped so far (`onCorrupt: "skip"`), per file; shown when any. */
  skipped?: Readonly<Record<string, number>>;
}

/** Options of {@link TrainProgress}. */
export interface TrainProgressOptions {
  /** The step the run stops at (the bar's end), or undefined for a time budget only. */
  total?: number;
  /** The step the run starts at (resumed runs start above 0). */
  start: number;
  /** Where the bar goes; default `process.stderr`. A stream that is not a TTY gets a plain line every 10 s. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

const FORMAT =
  "{bar} {value}/{total} | ELBO {elbo} | NLL {nll} | KL {kl} | lr {lr} | sigma {sigma} | {speed} steps/s{skipped} | ETA {eta_formatted}";

/**
 * The training progress bar (cli-progress): step, ELBO, NLL, KL, learning rate, sigma and
 * steps per second, with {@link TrainProgress.log} lines printed above it.
 */
export class TrainProgress {
  private readonly bars: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(options: TrainProgressOptions) {
    const stream = options.stream ?? process.stderr;
    this.stream = stream;
    this.bars = new cliProgress.MultiBar(
      {
        format: FORMAT,
        stream: stream as NodeJS.WritableStream,
        hideCursor: false,
        clearOnComplete: false,
        gracefulExit: false, // the loop handles SIGINT/SIGTERM itself (checkpoint, then stop)
        noTTYOutput: true,
        notTTYSchedule: 10_000,
        etaBuffer: 50,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    const total = options.total ?? 0;
    this.bar = this.bars.create(total, options.start, blank());
  }

  /** Moves the bar to `step` with these values. */
  update(step: number, values: ProgressValues): void {
    this.bar.update(step, {
      elbo: fixed(values.elbo, 1),
      nll: fixed(values.nll, 1),
      kl: fixed(values.kl, 2),
      lr: values.lr.toExponential(2),
      sigma: fixed(values.sigma, 3),
      speed: fixed(values.stepsPerSecond, 2),
      skipped: skippedText(values.skipped),
    });
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    // cli-progress holds logged lines until its next redraw, which a non-TTY gets every 10 s only.
    if (this.stream.isTTY) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  /** Draws the final state (and any pending log lines) and releases the terminal. */
  stop(): void {
    this.bars.update();
    this.bars.stop();
  }
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function blank(): Record<string, string> {
  return { elbo: "-", nll: "-", kl: "-", lr: "-", sigma: "-", speed: "-", skipped: "" };
}

/** ` | skipped 3 (1-of-2.tfrecord 2, 2-of-2.tfrecord 1)`, or nothing when no record was skipped. */
function skippedText(skipped: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(skipped ?? {});
  if (entries.length === 0) return "";
  const total = entries.reduce((n, [, count]) => n + count, 0);
  const perFile = entries.map(([file, count]) => `${file.split(/[\\/]/).pop()} ${count}`).join(", ");
  return ` | skipped ${total} (${perFile})`;
}
