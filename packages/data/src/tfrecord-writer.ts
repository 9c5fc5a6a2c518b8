import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { createDeflate, createGzip, type Deflate, type Gzip } from "node:zlib";
import { GqnError } from "@gqn/core";
import { fastCrc32c } from "./fast-crc32c.js";
import { frameTFRecord } from "./tfrecord-framing.js";

/** Options of {@link TFRecordWriter.open}. */
export interface TFRecordWriterOptions {
  /**
   * Write to `path.tmp-<pid>` and rename to `path` on {@link TFRecordWriter.close}; {@link TFRecordWriter.abort}
   * removes the temporary file. A reader never sees a half-written file under the final name. Default false.
   */
  atomic?: boolean;
  /** Compress the whole file with GZIP (TFRecordOptions compression_type "GZIP"). Default false. */
  gzip?: boolean;
  /** Compress the whole file as a ZLIB stream (TFRecordOptions compression_type "ZLIB"). Default false. */
  zlib?: boolean;
}

/** Writes TFRecord files: each record framed with its length, data and both masked CRC32Cs. */
export class TFRecordWriter {
  private closed = false;
  private count = 0;

  private constructor(
    /** The final path of the file. */
    readonly path: string,
    private readonly tempPath: string,
    private readonly file: WriteStream,
    private readonly sink: WriteStream | Gzip | Deflate,
    private readonly atomic: boolean,
  ) {}

  /** Creates (or truncates) `path`, creating its directory if needed. */
  static async open(path: string, options: TFRecordWriterOptions = {}): Promise<TFRecordWriter> {
    const atomic = options.atomic ?? false;
    if (options.gzip && options.zlib) {
      throw new GqnError("INVALID_ARGUMENT", "TFRecordWriter.open: choose gzip or zlib, not both.");
    }
    const tempPath = atomic ? `${path}.tmp-${process.pid}` : path;
    try {
      await mkdir(dirname(path), { recursive: true });
      // In atomic mode the temp file is made afresh: a link at its name is removed, not followed,
      // and the file is created exclusively.
      if (atomic) await rm(tempPath, { force: true });
      const file = createWriteStream(tempPath, { flags: atomic ? "wx" : "w" });
      await once(file, "open");
      const sink = options.gzip ? createGzip() : options.zlib ? createDeflate() : file;
      if (sink !== file) sink.pipe(file);
      return new TFRecordWriter(path, tempPath, file, sink, atomic);
    } catch (error) {
      throw new GqnError(
        "IO_ERROR",
        `TFRecordWriter.open: cannot create ${tempPath}: ${(error as Error).message}.`,
        {
          cause: error,
        },
      );
    }
  }

  /** Records written so far. */
  get records(): number {
    return this.count;
  }

  /** Appends one record. Waits when the OS buffers are full, so memory stays bounded. */
  async write(record: Uint8Array): Promise<void> {
    if (this.closed)
      throw new GqnError("INVALID_ARGUMENT", `TFRecordWriter.write: ${this.path} is already closed.`);
    // One framed copy: the stream keeps a reference until it is flushed, so the caller may reuse `record`.
    const ok = this.sink.write(frameTFRecord(record, fastCrc32c));
    this.count++;
    if (!ok) await this.drained();
  }

  /** Waits for the sink's buffer to drain, or fails with the file's error; leaves no listener behind. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(error);
      };
      const cleanup = (): void => {
        (this.sink as NodeJS.EventEmitter).off("drain", onDrain);
        this.file.off("error", onError);
      };
      (this.sink as NodeJS.EventEmitter).once("drain", onDrain);
      this.file.once("error", onError);
    });
  }

  /** Flushes and closes the file; in atomic mode renames it to its final path. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const finished = once(this.file, "close");
      this.sink.end();
      await finished;
      if (this.atomic) await rename(this.tempPath, this.path);
    } catch (error) {
      throw new GqnError(
        "IO_ERROR",
        `TFRecordWriter.close: cannot finish ${this.path}: ${(error as Error).message}.`,
        {
          cause: error,
        },
      );
    }
  }

  /** Stops writing and removes the unfinished file (the temporary one in atomic mode). */
  async abort(): Promise<void> {
    this.closed = true;
    this.sink.destroy();
    this.file.destroy();
    if (!this.file.closed) await once(this.file, "close").catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}
