import { crc32c, maskCrc, maskedCrc32c } from "./crc32c.js";
import { CorruptRecordError } from "./errors.js";
import { TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from "./tfrecord-framing.js";

/** What to do with a corrupt record: throw (default), or skip it, count it and go on. */
export type OnCorrupt = "error" | "skip";

/** A record that was skipped in `onCorrupt: "skip"` mode. */
export interface SkippedRecord {
  file: string | undefined;
  /** 0-based index of the record in its file (counting every record met, corrupt or not). */
  record: number;
  /** Byte offset of the record's start in the (uncompressed) stream. */
  offset: number;
  /** Why it was skipped. */
  reason: string;
  /** The error that skip mode swallowed. */
  error: CorruptRecordError;
  /**
   * Set at the end of the stream when no record was found after this one: the bytes from its
   * offset to the end, which may have held many records (a shard of garbage), not one.
   */
  tailBytes?: number;
}

/** Options of TFRecord parsing. */
export interface TFRecordParseOptions {
  /** A name for messages (a file path). */
  file?: string;
  /** Verify both masked CRC32Cs of every record; default true. */
  verifyCrc?: boolean;
  /** Default "error". In "skip" mode intact records after a corrupt one still come out. */
  onCorrupt?: OnCorrupt;
  /** Called for each skipped record in skip mode. */
  onSkip?: (skipped: SkippedRecord) => void;
  /**
   * The CRC-32C used on record data (`crc32c(data, start, end)`); default the platform-neutral one. The
   * Node reader passes a native one.
   */
  crc32c?: (data: Uint8Array, start: number, end: number) => number;
  /** Records longer than this are treated as corrupt (a guard against a garbage length); default 2 GiB. */
  maxRecordBytes?: number;
}

/** One record out of the parser. */
export interface ParsedRecord {
  data: Uint8Array;
  /** 0-based index in the stream. */
  record: number;
  /** Byte offset of the record's start (its length field). */
  offset: number;
}

/**
 * An incremental TFRecord parser: feed it chunks of a stream as they arrive, take out the complete records,
 * call {@link TFRecordParser.end} at the end of the stream. Memory stays at about one chunk plus the largest
 * record. After a length-CRC mismatch in skip mode it resynchronises by scanning for the next offset whose
 * header checksums (and then data checksum) verify, so every intact record after the damage still comes out.
 */
export class TFRecordParser {
  /** Records skipped so far (skip mode). */
  readonly skipped: SkippedRecord[] = [];
  private buf = new Uint8Array(0);
  private start = 0;
  private end_ = 0;
  /** Stream offset of buf[start]. */
  private offset = 0;
  private record = 0;
  private resyncing = false;
  /** The current header was found by resynchronisation: a data-CRC failure means keep scanning. */
  private candidate = false;
  private resyncFrom = 0;
  private readonly file: string | undefined;
  private readonly verify: boolean;
  private readonly onCorrupt: OnCorrupt;
  private readonly onSkip: ((s: SkippedRecord) => void) | undefined;
  private readonly maxRecordBytes: number;
  private readonly crc: (data: Uint8Array, start: number, end: number) => number;

  constructor(options: TFRecordParseOptions = {}) {
    this.file = options.file;
    this.verify = options.verifyCrc ?? true;
    this.onCorrupt = options.onCorrupt ?? "error";
    this.onSkip = options.onSkip;
    this.maxRecordBytes = options.maxRecordBytes ?? 2 ** 31;
    this.crc = options.crc32c ?? crc32c;
  }

  /** Bytes consumed so far (the stream offset of the first unparsed byte). */
  get position(): number {
    return this.offset;
  }

  /** Appends a chunk and returns the records it completes. */
  push(chunk: Uint8Array): ParsedRecord[] {
    this.append(chunk);
    return this.drain();
  }

  /** Ends the stream: a partial record left over is a truncated file (thrown, or skipped and reported). */
  end(): void {
    const avail = this.end_ - this.start;
    if (this.resyncing) {
      // No header verified after the damage: it may have spanned many records.
      const last = this.skipped.at(-1);
      if (last) last.tailBytes = this.offset + avail - last.offset;
      return;
    }
    if (avail === 0) return;
    const reason =
      avail < TFRECORD_HEADER_BYTES
        ? `truncated file: record header has ${avail} of ${TFRECORD_HEADER_BYTES} bytes`
        : `truncated file: record has ${avail} of ${TFRECORD_HEADER_BYTES + this.lengthAt(this.start) + TFRECORD_FOOTER_BYTES} bytes`;
    this.corrupt(reason);
    this.start = this.end_;
  }

  private append(chunk: Uint8Array): void {
    const avail = this.end_ - this.start;
    if (this.end_ + chunk.length > this.buf.length) {
      if (avail + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end_);
      } else {
        const grown = new Uint8Array(Math.max(avail + chunk.length, this.buf.length * 2, 1 << 16));
        grown.set(this.buf.subarray(this.start, this.end_));
        this.buf = grown;
      }
      this.resyncFrom -= this.start;
      this.start = 0;
      this.end_ = avail;
    }
    this.buf.set(chunk, this.end_);
    this.end_ += chunk.length;
  }

  private lengthAt(i: number): number {
    const b = this.buf;
    const lo =
      ((b[i] as number) |
        ((b[i + 1] as number) << 8) |
        ((b[i + 2] as number) << 16) |
        ((b[i + 3] as number) << 24)) >>>
      0;
    const hi =
      ((b[i + 4] as number) |
        ((b[i + 5] as number) << 8) |
        ((b[i + 6] as number) << 16) |
        ((b[i + 7] as number) << 24)) >>>
      0;
    return lo + hi * 2 ** 32;
  }

  private u32At(i: number): number {
    const b = this.buf;
    return (
      ((b[i] as number) |
        ((b[i + 1] as number) << 8) |
        ((b[i + 2] as number) << 16) |
        ((b[i + 3] as number) << 24)) >>>
      0
    );
  }

  private advance(n: number): void {
    this.start += n;
    this.offset += n;
  }

  private corrupt(reason: string): void {
    const location = { file: this.file, record: this.record, offset: this.offset };
    const error = new CorruptRecordError("readTFRecords", reason, location);
    if (this.onCorrupt === "error") throw error;
    const skipped: SkippedRecord = {
      file: this.file,
      record: this.record,
      offset: this.offset,
      reason,
      error,
    };
    this.skipped.push(skipped);
    this.onSkip?.(skipped);
    this.record++;
  }

  private drain(): ParsedRecord[] {
    const out: ParsedRecord[] = [];
    for (;;) {
      if (this.resyncing) {
        // Scan for the next offset whose 12 header bytes verify.
        let p = Math.max(this.start, this.resyncFrom);
        const last = this.end_ - TFRECORD_HEADER_BYTES;
        let found = -1;
        for (; p <= last; p++) {
          if (maskedCrc32c(this.buf, p, p + 8) === this.u32At(p + 8)) {
            found = p;
            break;
          }
        }
        if (found < 0) {
          // Keep the last 11 bytes: a header may start there.
          this.advance(Math.max(0, last + 1 - this.start));
          this.resyncFrom = this.start;
          return out;
        }
        this.advance(found - this.start);
        this.resyncing = false;
        this.candidate = true;
      }
      const avail = this.end_ - this.start;
      if (avail < TFRECORD_HEADER_BYTES) return out;
      const length = this.lengthAt(this.start);
      if (this.verify) {
        const stored = this.u32At(this.start + 8);
        const computed = maskedCrc32c(this.buf, this.start, this.start + 8);
        if (stored !== computed) {
          this.corrupt(`length CRC mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`);
          this.startResync(1);
          continue;
        }
      }
      if (length > this.maxRecordBytes) {
        this.corrupt(`implausible record length ${length} bytes (limit ${this.maxRecordBytes})`);
        if (!this.verify) {
          // Without checksums there is no way to find the next record.
          this.advance(avail);
          return out;
        }
        this.startResync(1);
        continue;
      }
      const need = TFRECORD_HEADER_BYTES + length + TFRECORD_FOOTER_BYTES;
      if (avail < need) return out;
      const dataStart = this.start + TFRECORD_HEADER_BYTES;
      if (this.verify) {
        const stored = this.u32At(dataStart + length);
        const computed = maskCrc(this.crc(this.buf, dataStart, dataStart + length));
        if (stored !== computed) {
          if (this.candidate) {
            // A false header found while resynchronising: keep scanning.
            this.startResync(1);
            continue;
          }
          this.corrupt(`data CRC mismatch (stored 0x${hex(stored)}, computed 0x${hex(computed)})`);
          this.advance(need);
          continue;
        }
      }
      this.candidate = false;
      out.push({
        data: this.buf.slice(dataStart, dataStart + length),
        record: this.record,
        offset: this.offset,
      });
      this.record++;
      this.advance(need);
    }
  }

  private startResync(skip: number): void {
    this.resyncing = true;
    this.candidate = false;
    this.resyncFrom = this.start + skip;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
