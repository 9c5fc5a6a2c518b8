/** Keeps the last few render times and describes them for the page. */
export class RenderTimer {
  private times: number[] = [];
  private first: number | null = null;

  constructor(private readonly window = 30) {}

  /** Records one render's milliseconds; the first after a reset is the warm-up (shader compiles). */
  add(ms: number): void {
    if (this.first === null) {
      this.first = ms;
      return;
    }
    this.times.push(ms);
    if (this.times.length > this.window) this.times.shift();
  }

  /** Forgets everything (a new model or context). */
  reset(): void {
    this.times = [];
    this.first = null;
  }

  /** The median of the recorded renders after the warm-up, or undefined before one. */
  median(): number | undefined {
    if (this.times.length === 0) return undefined;
    const sorted = [...this.times].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }

  /** `render 23.1 ms (median 22.4 ms of 30)`, or the warm-up time alone. */
  describe(): string {
    const last = this.times[this.times.length - 1];
    const median = this.median();
    if (last === undefined || median === undefined) {
      return this.first === null ? "–" : `first render ${this.first.toFixed(1)} ms (warm-up)`;
    }
    return `render ${last.toFixed(1)} ms (median ${median.toFixed(1)} ms of ${this.times.length})`;
  }
}
