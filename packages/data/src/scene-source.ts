import { relative } from "node:path";
import { deriveSeed, GqnError, Random } from "@gqn/core";
import { CorruptRecordError } from "./errors.js";
import { readJpegInfo } from "./jpeg-info.js";
import { readTFRecordEntries } from "./read-tfrecords.js";
import { decodeSceneRecord, type SceneRecord } from "./scene-record.js";
import type { OnCorrupt, ParsedRecord, SkippedRecord } from "./tfrecord-parser.js";

/** Where a buffered scene came from: enough to read it again when resuming. */
export interface SceneLocator {
  /** The file, relative to the data directory. */
  file: string;
  /** 0-based record index in the file. */
  record: number;
}

/** The data order of a scene stream at one point, JSON-only (stored in checkpoints). */
export interface SceneSourceState {
  /** The seed the order derives from. */
  seed: number;
  /** Passes over the files started so far, minus one. */
  epoch: number;
  /** Position, in the epoch's file order, of the file being read. */
  file: number;
  /** Index of the next record to read in that file. */
  record: number;
  /** State of the generator that picks from the shuffle buffer and draws context sizes and views. */
  random: number;
  /** The scenes in the shuffle buffer, in buffer order. */
  buffer: SceneLocator[];
}

/** A validated scene out of the stream. */
export interface SceneItem extends SceneRecord {
  locator: SceneLocator;
  /** The file's path as opened. */
  path: string;
  /** Byte offset of the record in its file. */
  offset: number;
}

export interface SceneSourceOptions {
  dataDir: string;
  /** The files of the split, in shard order (absolute or relative to the working directory). */
  files: string[];
  views: number;
  frameSize: number;
  seed: number;
  shuffle: boolean;
  shuffleBuffer: number;
  repeat: boolean;
  onCorrupt: OnCorrupt;
  onSkip: (skipped: SkippedRecord) => void;
  /**
   * Called once per file read whose damage ran to its end: how many records the damaged bytes
   * are counted as, and on what basis (the records dataset.json declares per file, or the bytes
   * over the mean size of the intact records read).
   */
  onLostTail?: (lost: LostTail) => void;
  /**
   * The records the split holds by its `dataset.json`, when every shard is present: a full pass
   * that meets another number says so through `warn` (a shard cut exactly at a record boundary
   * has valid CRCs throughout; only the count shows it).
   */
  declaredRecords?: number;
  warn?: (message: string) => void;
}

const WHERE = "createSceneBatches";

/** The damaged end of a file, counted in records (see `SceneSourceOptions.onLostTail`). */
export interface LostTail {
  file: string;
  /** The first damaged record, already reported as skipped. */
  record: number;
  bytes: number;
  /** Records the damaged bytes count as, the first (already reported) excluded. */
  records: number;
  basis: "declared" | "bytes";
}

/** The state of a stream that has handed out nothing yet. */
export function initialSceneSourceState(seed: number): SceneSourceState {
  return {
    seed,
    epoch: 0,
    file: 0,
    record: 0,
    random: new Random(deriveSeed(seed, "scene source")).getState(),
    buffer: [],
  };
}

/**
 * The main-thread side of batching: reads the split's files in a seeded order per epoch, validates each record
 * without decoding its JPEGs (Example fields, view count, JPEG headers and sizes), and hands scenes out through
 * a seeded shuffle buffer. Its whole position is a small JSON state (buffer contents as record locators).
 */
export class SceneSource {
  /** The generator for buffer picks, context sizes and views (shared with the batcher, so one state). */
  readonly random: Random;
  private epoch = 0;
  private cursor = 0;
  private nextRecord = 0;
  private order: number[];
  private reader: AsyncGenerator<ParsedRecord> | undefined;
  private buffer: SceneItem[] = [];
  private done = false;
  /** Intact scenes seen in the current epoch (an epoch with none would repeat forever). */
  private epochScenes = 0;
  /** Records met in the current epoch, intact or corrupt, for the count check. */
  private epochRecords = 0;
  /**
   * Per file (by index), the span of record indices read so far: a file is read in order from
   * its start (or a resume point), so the spans count the distinct records read, in one number
   * per file however many epochs pass.
   */
  private readonly spans = new Map<number, { lo: number; hi: number }>();
  private countChecked = false;
  /** The last record skipped in the file being read (its `tailBytes` is set at the file's end). */
  private lastSkip: SkippedRecord | undefined;
  /** Files whose damaged end was counted already (once, whatever the epochs). */
  private readonly lostTails = new Set<number>();
  /** Intact records read, and their bytes: the mean record size a damaged tail is counted by. */
  private intactRecords = 0;
  private intactBytes = 0;
  /** Whether the current epoch was read from its start (not resumed midway). */
  private fullPass = true;
  private readonly relFiles: string[];

  constructor(
    private readonly options: SceneSourceOptions,
    state: SceneSourceState = initialSceneSourceState(options.seed),
  ) {
    this.relFiles = options.files.map((f) => relative(options.dataDir, f));
    this.random = Random.fromState(state.random);
    this.epoch = state.epoch;
    this.cursor = state.file;
    this.nextRecord = state.record;
    this.fullPass = state.file === 0 && state.record === 0;
    this.order = this.fileOrder(this.epoch);
  }

  /** Restores the shuffle buffer of a saved state by reading its scenes again (one pass per file). */
  async restore(buffer: readonly SceneLocator[]): Promise<void> {
    const wanted = new Map<string, Set<number>>();
    for (const { file, record } of buffer) {
      if (!this.relFiles.includes(file)) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${WHERE}: options.state refers to ${file}, which is not among the dataset's files here.`,
        );
      }
      const set = wanted.get(file) ?? new Set<number>();
      wanted.set(file, set);
      set.add(record);
    }
    const found = new Map<string, SceneItem>();
    for (const [file, records] of wanted) {
      const path = this.options.files[this.relFiles.indexOf(file)] as string;
      for await (const entry of readTFRecordEntries(path, { onCorrupt: "skip" })) {
        if (!records.has(entry.record)) continue;
        const item = this.toItem(entry, path, file);
        if (item) found.set(`${file}#${entry.record}`, item);
      }
    }
    this.buffer = buffer.map(({ file, record }) => {
      const item = found.get(`${file}#${record}`);
      if (!item) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `${WHERE}: options.state refers to record ${record} of ${file}, which is missing or corrupt now.`,
        );
      }
      return item;
    });
  }

  /** The position after the scenes handed out so far. */
  getState(): SceneSourceState {
    return {
      seed: this.options.seed,
      epoch: this.epoch,
      file: this.cursor,
      record: this.nextRecord,
      random: this.random.getState(),
      buffer: this.buffer.map((item) => item.locator),
    };
  }

  /** The next scene, or null when the data are exhausted (never, with `repeat`). */
  async take(): Promise<SceneItem | null> {
    const { shuffle, shuffleBuffer } = this.options;
    const capacity = shuffle ? Math.max(1, shuffleBuffer) : 1;
    while (this.buffer.length < capacity && !this.done) {
      const item = await this.read();
      if (item) this.buffer.push(item);
    }
    if (this.buffer.length === 0) return null;
    const i = shuffle && this.buffer.length > 1 ? this.random.int(this.buffer.length) : 0;
    const item = this.buffer[i] as SceneItem;
    // Swap-remove: O(1), and deterministic, so the saved buffer order replays exactly.
    const last = this.buffer.pop() as SceneItem;
    if (i < this.buffer.length) this.buffer[i] = last;
    return item;
  }

  /** The distinct records read so far, intact or corrupt (the read-ahead and the shuffle buffer included). */
  distinctRecordsRead(): number {
    let n = 0;
    for (const { lo, hi } of this.spans.values()) n += hi - lo + 1;
    return n;
  }

  private noteRead(file: number, record: number): void {
    const span = this.spans.get(file);
    if (!span) this.spans.set(file, { lo: record, hi: record });
    else {
      span.lo = Math.min(span.lo, record);
      span.hi = Math.max(span.hi, record);
    }
  }

  /** Stops reading (closes the open file). */
  async close(): Promise<void> {
    this.done = true;
    await this.reader?.return(undefined);
    this.reader = undefined;
  }

  private fileOrder(epoch: number): number[] {
    const n = this.options.files.length;
    if (!this.options.shuffle) return Array.from({ length: n }, (_, i) => i);
    // Derived from seed and epoch alone, so a resumed run needs no stored order.
    return new Random(deriveSeed(this.options.seed, "file order", epoch)).permutation(n);
  }

  /** After a full pass: warns once when the records met differ from what dataset.json declares. */
  private checkCount(): void {
    const declared = this.options.declaredRecords;
    if (this.countChecked || !this.fullPass || declared === undefined) return;
    this.countChecked = true;
    if (this.epochRecords !== declared) {
      this.options.warn?.(
        `${WHERE}: a full pass over the ${this.options.files.length} files read ${this.epochRecords} records, but dataset.json declares ${declared}: a shard may be cut short at a record boundary (gqn-data verify counts them).`,
      );
    }
  }

  /** Reads one record: a scene, or undefined for a skipped record or the end of a file. */
  private async read(): Promise<SceneItem | undefined> {
    if (this.cursor >= this.order.length) {
      this.checkCount();
      if (!this.options.repeat) {
        this.done = true;
        return undefined;
      }
      if (this.epochScenes === 0 && this.fullPass) {
        throw new GqnError("CORRUPT_RECORD", `${WHERE}: a whole pass over the files found no intact scene.`);
      }
      this.epoch++;
      this.epochScenes = 0;
      this.epochRecords = 0;
      this.fullPass = true;
      this.cursor = 0;
      this.nextRecord = 0;
      this.order = this.fileOrder(this.epoch);
    }
    const index = this.order[this.cursor] as number;
    const path = this.options.files[index] as string;
    const rel = this.relFiles[index] as string;
    if (!this.reader) {
      const from = this.nextRecord;
      this.lastSkip = undefined;
      this.reader = readTFRecordEntries(path, {
        onCorrupt: this.options.onCorrupt,
        // A resumed file is read from its start again: records skipped before the resume were reported then.
        onSkip: (s) => {
          this.lastSkip = s;
          if (s.record < from) return;
          this.epochRecords++;
          this.noteRead(index, s.record);
          this.options.onSkip(s);
        },
      });
    }
    const next = await this.reader.next();
    if (next.done) {
      if (this.lastSkip?.tailBytes !== undefined) this.countLostTail(index, rel, this.lastSkip);
      this.reader = undefined;
      this.cursor++;
      this.nextRecord = 0;
      return undefined;
    }
    const entry = next.value;
    this.intactBytes += entry.data.length;
    this.intactRecords++;
    if (entry.record < this.nextRecord) return undefined;
    this.nextRecord = entry.record + 1;
    this.epochRecords++;
    this.noteRead(index, entry.record);
    const item = this.toItem(entry, path, rel);
    if (item) this.epochScenes++;
    return item;
  }

  /**
   * A file whose damage ran to its end held more than the one record reported: the rest is
   * counted from dataset.json's records per file when declared, else from the bytes over the mean
   * intact record's size, once per file.
   */
  private countLostTail(index: number, rel: string, skip: SkippedRecord): void {
    if (this.lostTails.has(index)) return;
    this.lostTails.add(index);
    const declared = this.options.declaredRecords;
    const perFile = declared !== undefined ? Math.ceil(declared / this.options.files.length) : undefined;
    const meanBytes = this.intactRecords > 0 ? this.intactBytes / this.intactRecords : undefined;
    const bytes = skip.tailBytes as number;
    const [records, basis] =
      perFile !== undefined
        ? [Math.max(0, perFile - skip.record - 1), "declared" as const]
        : [
            meanBytes !== undefined ? Math.max(0, Math.round(bytes / (meanBytes + 16)) - 1) : 0,
            "bytes" as const,
          ];
    if (records > 0) this.options.onLostTail?.({ file: rel, record: skip.record, bytes, records, basis });
  }

  /** Validates a record as a scene of this dataset; a bad one throws or, in skip mode, is reported. */
  private toItem(entry: ParsedRecord, path: string, rel: string): SceneItem | undefined {
    const location = { file: path, record: entry.record, offset: entry.offset };
    try {
      const scene = decodeSceneRecord(entry.data, { views: this.options.views });
      const size = this.options.frameSize;
      scene.frames.forEach((frame, v) => {
        const info = readJpegInfo(frame);
        if (!info) throw new CorruptRecordError(WHERE, `frame ${v} is not a JPEG`);
        if (info.width !== size || info.height !== size) {
          throw new CorruptRecordError(
            WHERE,
            `frame ${v} is ${info.width}x${info.height}, but the dataset's frames are ${size}x${size}`,
          );
        }
      });
      return { ...scene, locator: { file: rel, record: entry.record }, path, offset: entry.offset };
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      const located = error.withLocation(WHERE, location);
      if (this.options.onCorrupt === "error") throw located;
      this.options.onSkip({ ...location, reason: located.reason, error: located });
      return undefined;
    }
  }
}
