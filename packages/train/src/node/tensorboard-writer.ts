import { hostname } from "node:os";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import type { RgbImage } from "@gqn/data";
import { encodePng, TFRecordWriter } from "@gqn/data/node";
import {
  encodeFileVersionEvent,
  encodeSessionStartEvent,
  encodeSummaryEvent,
  type SummaryValue,
} from "../tensorboard-event.js";

/**
 * Writes a TensorBoard event file (`events.out.tfevents.<secs>.<host>.<pid>`): TFRecord-framed `Event`
 * protos, through @gqn/data's TFRecord writer. `tensorboard --logdir <dir>` shows the scalars
 * and images. Writes are queued in order; {@link TensorBoardWriter.close} flushes them.
 */
export class TensorBoardWriter {
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    /** The event file. */
    readonly path: string,
    private readonly writer: TFRecordWriter,
  ) {}

  /**
   * Creates `dir` if needed and a new event file in it: the file-version event, then a session
   * START at `step + 1` (`step`: a resumed run's, default 0). TensorBoard's loader ignores the
   * first START of a run and, at any later one, drops what older files hold from that step on,
   * so every file carries one: a resumed run's then always takes effect.
   */
  static async open(dir: string, options: { step?: number } = {}): Promise<TensorBoardWriter> {
    const now = Date.now() / 1000;
    const path = join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}`);
    const writer = await TFRecordWriter.open(path);
    const tb = new TensorBoardWriter(path, writer);
    tb.enqueue(encodeFileVersionEvent(now));
    tb.enqueue(encodeSessionStartEvent(now, (options.step ?? 0) + 1));
    return tb;
  }

  /** Queues one `Event` with these scalars at `step` (non-finite values are skipped). */
  scalars(step: number, values: Readonly<Record<string, number | undefined>>): void {
    const summary: SummaryValue[] = [];
    for (const [tag, value] of Object.entries(values)) {
      if (typeof value === "number" && Number.isFinite(value)) summary.push({ tag, scalar: value });
    }
    if (summary.length > 0) this.enqueue(encodeSummaryEvent(Date.now() / 1000, step, summary));
  }

  /** Queues an RGB image (encoded as PNG) under `tag` at `step`. */
  image(step: number, tag: string, image: RgbImage): void {
    // encodePng writes RGBA (opaque): declare colorspace 4 so the summary says what the PNG holds.
    const png = encodePng(image.data, image.width, image.height);
    this.enqueue(
      encodeSummaryEvent(Date.now() / 1000, step, [
        { tag, image: { png, width: image.width, height: image.height, channels: 4 } },
      ]),
    );
  }

  /** Waits for the queued events to reach the file. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure) {
      throw new GqnError(
        "IO_ERROR",
        `TensorBoardWriter: cannot write ${this.path}: ${String(this.failure)}`,
        {
          cause: this.failure,
        },
      );
    }
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.writer.close();
  }

  private enqueue(event: Uint8Array): void {
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        await this.writer.write(event);
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
