import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip, createInflate } from "node:zlib";
import { GqnError } from "@gqn/core";
import { maskedCrc32c } from "./crc32c.js";
import { CorruptRecordError } from "./errors.js";
import { fastCrc32c } from "./fast-crc32c.js";
import { TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from "./tfrecord-framing.js";
import {
  type ParsedRecord,
  type SkippedRecord,
  type TFRecordParseOptions,
  TFRecordParser,
} from "./tfrecord-parser.js";

/** Compression of a TFRecord file (TFRecordOptions); "auto" follows the file name ({@link compressionOfName}). */
export type TFRecordCompression = "none" | "gzip" | "zlib" | "auto";

/** Options of {@link readTFRecords}. */
export interface ReadTFRecordsOptions extends Omit<TFRecordParseOptions, "file"> {
  /** Default "auto": from the file name, `.gz` GZIP, `.zz`/`.zlib` ZLIB, else none. */
  compression?: TFRecordCompression;
  /** Bytes read at a time; default 1 MiB. Memory stays at about this plus the largest record. */
  chunkBytes?: number;
  /** Stops reading early. */
  signal?: AbortSignal;
}

/** The async iterable that {@link readTFRecords} returns. */
export interface TFRecordStream extends AsyncIterable<Uint8Array> {
  /** Records skipped so far (only in `onCorrupt: "skip"` mode). */
  readonly skipped: readonly SkippedRecord[];
  /** Records yielded so far. */
  readonly count: number;
}

/**
 * The compression a file's name declares: `.gz` GZIP, `.zz` or `.zlib` ZLIB, anything else none.
 * Never guessed from content: a plain shard whose first bytes were damaged into a gzip magic would
 * otherwise be decompressed whole and lose every intact record.
 */
function compressionOfName(path: string): Exclude<TFRecordCompression, "auto"> {
  if (/\.gz$/i.test(path)) return "gzip";
  if (/\.(zz|zlib)$/i.test(path)) return "zlib";
  return "none";
}

function ioError(where: string, path: string, error: unknown): GqnError {
  if (error instanceof GqnError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") {
    return new CorruptRecordError(where, `compressed stream is corrupt (${(error as Error).message})`, {
      file: path,
    });
  }
  return new GqnError("IO_ERROR", `${where}: cannot read ${path}: ${(error as Error).message}.`, {
    cause: error,
  });
}

/**
 * Streams the records of a TFRecord file with their place: `{ data, record, offset }` (record index and byte
 * offset of its length field in the uncompressed stream). Same checks and options as {@link readTFRecords};
 * skipped records go to `options.onSkip`.
 */
export async function* readTFRecordEntries(
  path: string,
  options: ReadTFRecordsOptions = {},
): AsyncGenerator<ParsedRecord> {
  const where = "readTFRecords";
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const requested = options.compression ?? "auto";
  const compression = requested === "auto" ? compressionOfName(path) : requested;
  const parser = new TFRecordParser({ crc32c: fastCrc32c, ...options, file: path });
  const file = createReadStream(path, { highWaterMark: chunkBytes, signal: options.signal });
  const stream =
    compression === "gzip"
      ? file.pipe(createGunzip())
      : compression === "zlib"
        ? file.pipe(createInflate())
        : file;
  if (stream !== file) file.on("error", (e) => stream.destroy(e));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      yield* parser.push(chunk);
    }
    parser.end();
  } catch (error) {
    throw ioError(where, path, error);
  } finally {
    stream.destroy();
    file.destroy();
  }
}

/**
 * Streams the records of a TFRecord file as Uint8Arrays (each its own copy). Verifies both masked CRC32Cs
 * by default; a corrupt or truncated record throws a {@link CorruptRecordError} naming the file, the record
 * index and its byte offset, or with `onCorrupt: "skip"` is counted in `skipped` (and `onSkip`) while every
 * intact record still comes out. Memory stays bounded (one chunk plus the largest record) whatever the file size.
 */
export function readTFRecords(path: string, options: ReadTFRecordsOptions = {}): TFRecordStream {
  const skipped: SkippedRecord[] = [];
  let count = 0;
  async function* generate(): AsyncGenerator<Uint8Array> {
    const entries = readTFRecordEntries(path, {
      ...options,
      onSkip: (s) => {
        skipped.push(s);
        options.onSkip?.(s);
      },
    });
    for await (const entry of entries) {
      count++;
      yield entry.data;
    }
  }
  return {
    get skipped() {
      return skipped;
    },
    get count() {
      return count;
    },
    [Symbol.asyncIterator]: generate,
  };
}

/** Offsets and lengths of the records of an uncompressed TFRecord file. */
export interface TFRecordIndex {
  file: string;
  /** Byte offset of each record's start (its length field). */
  offsets: number[];
  /** Data length of each record. */
  lengths: number[];
}

/**
 * Indexes an uncompressed TFRecord file by reading only its 12-byte headers (verifying their CRCs) and
 * seeking over the data: fast even on large files. Throws a {@link CorruptRecordError} on a bad header or a
 * truncated file (an index cannot skip: the next record's offset is unknown).
 */
export async function indexTFRecords(path: string): Promise<TFRecordIndex> {
  const where = "indexTFRecords";
  const handle = await open(path, "r").catch((error) => {
    throw ioError(where, path, error);
  });
  try {
    const size = (await handle.stat()).size;
    const offsets: number[] = [];
    const lengths: number[] = [];
    const head = new Uint8Array(TFRECORD_HEADER_BYTES);
    const view = new DataView(head.buffer);
    let offset = 0;
    while (offset < size) {
      const location = { file: path, record: offsets.length, offset };
      const { bytesRead } = await handle.read(head, 0, TFRECORD_HEADER_BYTES, offset);
      if (bytesRead < TFRECORD_HEADER_BYTES) {
        throw new CorruptRecordError(
          where,
          `truncated file: record header has ${bytesRead} of 12 bytes`,
          location,
        );
      }
      if (maskedCrc32c(head, 0, 8) !== view.getUint32(8, true)) {
        throw new CorruptRecordError(where, "length CRC mismatch", location);
      }
      const length = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
      const total = TFRECORD_HEADER_BYTES + length + TFRECORD_FOOTER_BYTES;
      if (offset + total > size) {
        throw new CorruptRecordError(
          where,
          `truncated file: record has ${size - offset} of ${total} bytes`,
          location,
        );
      }
      offsets.push(offset);
      lengths.push(length);
      offset += total;
    }
    return { file: path, offsets, lengths };
  } finally {
    await handle.close();
  }
}
