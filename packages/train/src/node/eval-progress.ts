/** Options of {@link EvalProgress}. */
export interface EvalProgressOptions {
  /** The training step being evaluated. */
  step: number;
  /** Test batches the evaluation runs. */
  batches: number;
  /** Where lines go (above the progress bar). */
  say: (line: string) => void;
  /** Least milliseconds between two batch lines; default 10 s. */
  everyMs?: number;
  /** The clock; default `Date.now`. */
  now?: () => number;
}

/**
 * Lines while an evaluation runs, which can take minutes (a large preset on a CPU) before the
 * first training step moves the progress bar: one line when the run's first evaluation (step 0)
 * starts, then one after a batch whenever `everyMs` has passed since the last line.
 */
export class EvalProgress {
  private readonly started: number;
  private last: number;

  constructor(private readonly options: EvalProgressOptions) {
    this.started = this.now();
    this.last = this.started;
    if (options.step === 0) {
      options.say(`[gqn] evaluating step 0 on ${plural(options.batches, "test batch", "test batches")}...`);
    }
  }

  /** Call after each batch; `done` is how many batches are evaluated so far. */
  batchDone(done: number): void {
    const now = this.now();
    if (done >= this.options.batches || now - this.last < (this.options.everyMs ?? 10_000)) return;
    this.last = now;
    const seconds = Math.round((now - this.started) / 1000);
    this.options.say(
      `[gqn] evaluating step ${this.options.step}: ${done}/${this.options.batches} test batches (${seconds} s)`,
    );
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
