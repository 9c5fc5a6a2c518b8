import { GqnError, isGqnError } from "@gqn/core";

/** Where a bad record is: every field that is known. */
export interface RecordLocation {
  /** The file (or a name for an in-memory source). */
  file?: string;
  /** 0-based index of the record in its file, counting corrupt records too. */
  record?: number;
  /** Byte offset of the record's start (its length field) in the uncompressed stream. */
  offset?: number;
}

/**
 * A record that cannot be read or does not hold a valid scene: a CRC mismatch, a truncated file, an Example
 * without `frames` or `cameras`, a frame that is not a JPEG of the right size. Code `CORRUPT_RECORD`. The
 * message names the place (`in FILE, record N at byte offset X`) and the reason.
 */
export class CorruptRecordError extends GqnError {
  readonly file: string | undefined;
  readonly record: number | undefined;
  readonly offset: number | undefined;
  /** The reason alone, without the place. */
  readonly reason: string;

  /**
   * `instanceof` by brand and code: @gqn/data's two entries (`@gqn/data`, `@gqn/data/node`) are
   * bundled apart, each with its own copy of this class, and an error thrown by one must still
   * match the class imported from the other.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGqnError(value, "CORRUPT_RECORD") && typeof (value as { reason?: unknown }).reason === "string";
  }

  constructor(where: string, reason: string, location: RecordLocation = {}, options?: { cause?: unknown }) {
    super("CORRUPT_RECORD", `${where}: ${reason}${describeLocation(location)}.`, options);
    this.name = "CorruptRecordError";
    this.file = location.file;
    this.record = location.record;
    this.offset = location.offset;
    this.reason = reason;
  }

  /** The same error with a place (file, record, offset) filled in where it was unknown. */
  withLocation(where: string, location: RecordLocation): CorruptRecordError {
    return new CorruptRecordError(
      where,
      this.reason,
      {
        file: this.file ?? location.file,
        record: this.record ?? location.record,
        offset: this.offset ?? location.offset,
      },
      { cause: this.cause },
    );
  }
}

function describeLocation({ file, record, offset }: RecordLocation): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(`in ${file}`);
  if (record !== undefined) parts.push(`record ${record}`);
  if (offset !== undefined) parts.push(`at byte offset ${offset}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
