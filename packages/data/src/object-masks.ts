// Object masks beside a dataset's TFRecords: which object each pixel of each view shows, and the
// background behind it. Sidecar files in their own folder, so the TFRecords and every reader of
// them stay as they are (docs/synthetic-scenes.md#object-masks).
import { type FileHandle, open } from "node:fs/promises";
import { basename, join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { GqnError } from "@gqn/core";
import { crc32c, maskCrc } from "./crc32c.js";
import type { DatasetInfo, Split } from "./datasets.js";
import { CorruptRecordError } from "./errors.js";
import { fastCrc32c } from "./fast-crc32c.js";
import { indexTFRecords } from "./read-tfrecords.js";
import { TFRECORD_HEADER_BYTES } from "./tfrecord-framing.js";

/** The `format` of {@link ObjectMasksEntry}: the file layout described in {@link encodeObjectMaskFile}. */
export const OBJECT_MASKS_FORMAT = "gqn-object-masks/2";
/** The first layout, without the records' keys: still read, but not checked against the records. */
const OBJECT_MASKS_FORMAT_1 = "gqn-object-masks/1";

/** The optional `objectMasks` entry of a `dataset.json`: where the mask files are. Readers of frames ignore it. */
export interface ObjectMasksEntry {
  /** `gqn-object-masks/1`: files of earlier versions, without the records' keys. */
  format: typeof OBJECT_MASKS_FORMAT | "gqn-object-masks/1";
  /** Folder under the dataset's directory; it holds `<split>/<i>-of-<n>.masks`, one per TFRecord file. */
  dir: string;
}

/** One view's masks, `frameSize * frameSize` pixels row-major from the top-left. */
export interface ObjectMaskView {
  /** Per pixel: 0 for the background (walls, floor, sky), `1..N` for the scene's objects. */
  ids: Uint8Array;
  /**
   * RGB bytes (`3` per pixel): what the pixel shows with the objects transparent to camera rays.
   * Stored where `ids` is not 0 only; a view read back holds 0 elsewhere.
   */
  behind: Uint8Array;
}

const MAGIC = "GQNMASK2";
const MAGIC_1 = "GQNMASK1";
const HEADER_BYTES = MAGIC.length + 12;

/** The mask file's name for a TFRecord file's name: `0001-of-0010.tfrecord` -> `0001-of-0010.masks`. */
export function objectMaskFileName(tfrecordName: string): string {
  return `${basename(tfrecordName).replace(/\.tfrecord(\.gz|\.zz)?$/, "")}.masks`;
}

/**
 * The key that ties a record's masks to a TFRecord record: the masked CRC32C of the record's data,
 * as the TFRecord framing stores it (so a reader checks masks against the records without decoding them).
 */
export function objectMaskRecordKey(record: Uint8Array): number {
  return maskCrc(fastCrc32c(record));
}

/**
 * The bytes of a mask file holding `records[r][v]`, view `v` of the scene in record `r` of the
 * TFRecord file beside it. Layout, integers little-endian uint32:
 *
 * - `GQNMASK2` (8 ASCII bytes), frameSize, views, records;
 * - `records + 1` byte offsets of the records' data (the last: the file's length);
 * - `records` CRC32Cs, each of a record's data before compression;
 * - `records` keys: each the {@link objectMaskRecordKey} of the TFRecord record the masks belong to
 *   (`recordKeys`), so masks are checked against their records;
 * - each record's data, raw-deflated: per view, `frameSize^2` id bytes, then 3 `behind` bytes for
 *   each pixel whose id is not 0, in pixel order.
 *
 * `GQNMASK1` files (format `gqn-object-masks/1`) are the same without the keys.
 */
export function encodeObjectMaskFile(
  records: readonly (readonly ObjectMaskView[])[],
  frameSize: number,
  views: number,
  recordKeys: readonly number[],
): Uint8Array {
  if (recordKeys.length !== records.length) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `encodeObjectMaskFile: recordKeys must hold one key per record (${records.length}), but got ${recordKeys.length}.`,
    );
  }
  const pixels = frameSize * frameSize;
  const compressed: Uint8Array[] = [];
  const crcs: number[] = [];
  records.forEach((record, r) => {
    if (record.length !== views) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `encodeObjectMaskFile: records[${r}] must hold ${views} views, but got ${record.length}.`,
      );
    }
    const parts: Uint8Array[] = [];
    record.forEach(({ ids, behind }, v) => {
      if (ids.length !== pixels || behind.length !== pixels * 3) {
        throw new GqnError(
          "SHAPE_MISMATCH",
          `encodeObjectMaskFile: records[${r}][${v}] must have ${pixels} ids and ${pixels * 3} behind bytes (${frameSize}x${frameSize}), but got ${ids.length} and ${behind.length}.`,
        );
      }
      let objectPixels = 0;
      for (let i = 0; i < pixels; i++) if (ids[i] !== 0) objectPixels++;
      const under = new Uint8Array(objectPixels * 3);
      for (let i = 0, j = 0; i < pixels; i++) {
        if (ids[i] === 0) continue;
        under[j++] = behind[i * 3] as number;
        under[j++] = behind[i * 3 + 1] as number;
        under[j++] = behind[i * 3 + 2] as number;
      }
      parts.push(ids, under);
    });
    const raw = Buffer.concat(parts);
    crcs.push(crc32c(raw));
    // The fastest level: ids are long runs, so it compresses them nearly as well as the default.
    compressed.push(deflateRawSync(raw, { level: 1 }));
  });
  const tableBytes = (3 * records.length + 1) * 4;
  const total = HEADER_BYTES + tableBytes + compressed.reduce((sum, c) => sum + c.length, 0);
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, "ascii");
  out.writeUInt32LE(frameSize, 8);
  out.writeUInt32LE(views, 12);
  out.writeUInt32LE(records.length, 16);
  let at = HEADER_BYTES + tableBytes;
  compressed.forEach((data, r) => {
    out.writeUInt32LE(at, HEADER_BYTES + r * 4);
    out.set(data, at);
    at += data.length;
  });
  out.writeUInt32LE(at, HEADER_BYTES + records.length * 4);
  crcs.forEach((crc, r) => {
    out.writeUInt32LE(crc, HEADER_BYTES + (records.length + 1 + r) * 4);
  });
  recordKeys.forEach((key, r) => {
    out.writeUInt32LE(key >>> 0, HEADER_BYTES + (2 * records.length + 1 + r) * 4);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** One mask file opened for reading records at random. */
export class ObjectMaskFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly frameSize: number,
    readonly views: number,
    readonly records: number,
    private readonly offsets: Uint32Array,
    private readonly crcs: Uint32Array,
    /** Each record's key (its TFRecord record's masked data CRC32C); absent in `GQNMASK1` files. */
    readonly recordKeys: Uint32Array | undefined,
  ) {}

  /** Opens `path` and reads its header: MISSING_FILES when it is absent, CORRUPT_RECORD when its header is damaged. */
  static async open(path: string): Promise<ObjectMaskFile> {
    const where = "ObjectMaskFile.open";
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new GqnError(
        missing ? "MISSING_FILES" : "IO_ERROR",
        `${where}: ${missing ? `${path} is missing` : `cannot read ${path}: ${(error as Error).message}`}; render the dataset again with object masks (gqn-synth writes them).`,
        { cause: error },
      );
    }
    try {
      const size = (await handle.stat()).size;
      const header = Buffer.alloc(HEADER_BYTES);
      await handle.read(header, 0, HEADER_BYTES, 0);
      const damaged = (reason: string) => new CorruptRecordError(where, reason, { file: path });
      const magic = header.toString("ascii", 0, 8);
      if (size < HEADER_BYTES || (magic !== MAGIC && magic !== MAGIC_1)) {
        throw damaged(
          `not an object mask file (it must start with ${MAGIC}, or ${MAGIC_1} as earlier versions wrote)`,
        );
      }
      const keyed = magic === MAGIC;
      const frameSize = header.readUInt32LE(8);
      const views = header.readUInt32LE(12);
      const records = header.readUInt32LE(16);
      // Checked against the file's size before the table is allocated.
      const tableBytes = ((keyed ? 3 : 2) * records + 1) * 4;
      if (frameSize < 1 || views < 1 || HEADER_BYTES + tableBytes > size) {
        throw damaged(
          `the header (frameSize ${frameSize}, views ${views}, records ${records}) does not fit the file's ${size} bytes`,
        );
      }
      const table = Buffer.alloc(tableBytes);
      await handle.read(table, 0, tableBytes, HEADER_BYTES);
      const offsets = new Uint32Array(records + 1);
      const crcs = new Uint32Array(records);
      for (let i = 0; i <= records; i++) offsets[i] = table.readUInt32LE(i * 4);
      for (let i = 0; i < records; i++) crcs[i] = table.readUInt32LE((records + 1 + i) * 4);
      const keys = keyed ? new Uint32Array(records) : undefined;
      if (keys) for (let i = 0; i < records; i++) keys[i] = table.readUInt32LE((2 * records + 1 + i) * 4);
      if (offsets[records] !== size) {
        throw damaged(
          `the file is ${size} bytes long, but its offsets end at ${offsets[records]} (truncated or overwritten)`,
        );
      }
      return new ObjectMaskFile(path, handle, frameSize, views, records, offsets, crcs, keys);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The views of record `record`: CORRUPT_RECORD naming the file and record when it is absent or damaged. */
  async read(record: number): Promise<ObjectMaskView[]> {
    const where = "ObjectMaskFile.read";
    if (!Number.isInteger(record) || record < 0 || record >= this.records) {
      throw new CorruptRecordError(
        where,
        `the file holds ${this.records} records, so record ${record} has no masks`,
        {
          file: this.path,
          record,
        },
      );
    }
    const start = this.offsets[record] as number;
    const end = this.offsets[record + 1] as number;
    const location = { file: this.path, record, offset: start };
    if (end < start) throw new CorruptRecordError(where, "its offsets are out of order", location);
    const data = Buffer.alloc(end - start);
    await this.handle.read(data, 0, data.length, start);
    let raw: Buffer;
    try {
      raw = inflateRawSync(data);
    } catch (error) {
      throw new CorruptRecordError(where, `its data do not inflate (${(error as Error).message})`, location, {
        cause: error,
      });
    }
    if (crc32c(raw) !== this.crcs[record]) {
      throw new CorruptRecordError(where, "CRC32C mismatch", location);
    }
    const pixels = this.frameSize * this.frameSize;
    const views: ObjectMaskView[] = [];
    let at = 0;
    for (let v = 0; v < this.views; v++) {
      const ids = raw.subarray(at, at + pixels);
      at += pixels;
      let objectPixels = 0;
      for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) objectPixels++;
      if (ids.length !== pixels || at + objectPixels * 3 > raw.length) {
        throw new CorruptRecordError(where, `view ${v} is cut short`, location);
      }
      const behind = new Uint8Array(pixels * 3);
      for (let i = 0; i < pixels; i++) {
        if (ids[i] === 0) continue;
        behind[i * 3] = raw[at++] as number;
        behind[i * 3 + 1] = raw[at++] as number;
        behind[i * 3 + 2] = raw[at++] as number;
      }
      views.push({ ids: new Uint8Array(ids), behind });
    }
    if (at !== raw.length)
      throw new CorruptRecordError(where, `${raw.length - at} bytes follow the last view`, location);
    return views;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** The masks of a batch's query views, resized to the batch's frame size. */
export interface QueryObjectMasks {
  /** `[B, S, S]` object ids (0: background). */
  ids: Uint8Array;
  /** `[B, S, S, 3]` in [0, 1]: the background behind each object pixel; 0 where `ids` is 0. */
  behind: Float32Array;
}

/**
 * The object masks of one split of a dataset, read beside its scene records. Masks of another size
 * than `frameSize` are resampled by nearest neighbour with corners aligned (the frames' bilinear
 * resize has the same sample grid), so ids stay ids.
 */
export class ObjectMasks {
  private readonly files = new Map<string, Promise<ObjectMaskFile>>();

  private constructor(
    private readonly dir: string,
    /** The split's TFRecord folder: each masks file is checked against its records there. */
    private readonly recordsDir: string,
    private readonly views: number,
    private readonly sourceSize: number,
    readonly frameSize: number,
  ) {}

  /**
   * The masks of `split` when `info` (from `readDatasetInfo`) has an `objectMasks` entry, else
   * undefined. INVALID_CONFIG for an entry of another format.
   */
  static open(
    dataDir: string,
    info: DatasetInfo,
    split: Split,
    options: { frameSize?: number } = {},
  ): ObjectMasks | undefined {
    const entry = info.objectMasks as Partial<ObjectMasksEntry> | undefined;
    if (entry === undefined) return undefined;
    if (
      (entry?.format !== OBJECT_MASKS_FORMAT && entry?.format !== OBJECT_MASKS_FORMAT_1) ||
      typeof entry.dir !== "string"
    ) {
      throw new GqnError(
        "INVALID_CONFIG",
        `ObjectMasks.open: the dataset.json of "${info.name}" must give objectMasks as { format: "${OBJECT_MASKS_FORMAT}", dir }, but got ${JSON.stringify(entry)}.`,
      );
    }
    return new ObjectMasks(
      join(dataDir, info.name, entry.dir, split),
      join(dataDir, info.name, split),
      info.views,
      info.frameSize,
      options.frameSize ?? info.frameSize,
    );
  }

  /** The masks of view `view` of record `record` of the TFRecord file `file` (any path ending in its name). */
  async read(file: string, record: number, view: number): Promise<ObjectMaskView> {
    const views = await (await this.file(file)).read(record);
    return views[view] as ObjectMaskView;
  }

  /** How many records the masks of the TFRecord file `file` hold (opening and checking them). */
  async recordCount(file: string): Promise<number> {
    return (await this.file(file)).records;
  }

  /** The masks file of the TFRecord file `file`, opened once and checked against its records. */
  private file(file: string): Promise<ObjectMaskFile> {
    const path = join(this.dir, objectMaskFileName(file));
    let opened = this.files.get(path);
    if (opened === undefined) {
      const records = join(this.recordsDir, basename(file));
      opened = ObjectMaskFile.open(path).then(async (masks) => {
        try {
          if (masks.frameSize !== this.sourceSize || masks.views !== this.views) {
            throw new CorruptRecordError(
              "ObjectMasks.read",
              `masks of ${masks.frameSize} px and ${masks.views} views do not match the dataset's ${this.sourceSize} px and ${this.views} views`,
              { file: path },
            );
          }
          if (masks.recordKeys) await checkRecordKeys(masks, records);
        } catch (error) {
          await masks.close();
          throw error;
        }
        return masks;
      });
      opened.catch(() => {});
      this.files.set(path, opened);
    }
    return opened;
  }

  /** The masks of each scene's last view (the query, in a SceneBatch's `scenes`), at `frameSize`. */
  async queryMasks(
    scenes: readonly { file: string; record: number; views: readonly number[] }[],
  ): Promise<QueryObjectMasks> {
    const size = this.frameSize;
    const ids = new Uint8Array(scenes.length * size * size);
    const behind = new Float32Array(scenes.length * size * size * 3);
    const source = this.sourceSize;
    // Nearest source pixel of each output row/column, corners aligned.
    const ratio = size > 1 ? (source - 1) / (size - 1) : 0;
    const nearest = Array.from({ length: size }, (_, i) => Math.round(i * ratio));
    for (const [s, scene] of scenes.entries()) {
      const view = await this.read(scene.file, scene.record, scene.views[scene.views.length - 1] as number);
      let out = s * size * size;
      for (const row of nearest) {
        for (const col of nearest) {
          const from = row * source + col;
          ids[out] = view.ids[from] as number;
          for (let c = 0; c < 3; c++) behind[out * 3 + c] = (view.behind[from * 3 + c] as number) / 255;
          out++;
        }
      }
    }
    return { ids, behind };
  }

  /** Closes the files opened so far. */
  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(
      files.map((file) =>
        file.then(
          (f) => f.close(),
          () => {},
        ),
      ),
    );
  }
}

/**
 * Checks that a masks file belongs to the TFRecord file `records`: one key per record, each the
 * record's masked data CRC32C as its framing stores it. Masks copied from another dataset of the
 * same layout fail here, instead of scoring with the wrong objects.
 */
async function checkRecordKeys(masks: ObjectMaskFile, records: string): Promise<void> {
  const where = "ObjectMasks.read";
  const keys = masks.recordKeys as Uint32Array;
  const index = await indexTFRecords(records);
  const handle = await open(records, "r");
  const differing: number[] = [];
  try {
    const footer = Buffer.alloc(4);
    for (const [r, offset] of index.offsets.entries()) {
      if (r >= keys.length) break;
      await handle.read(footer, 0, 4, offset + TFRECORD_HEADER_BYTES + (index.lengths[r] as number));
      if (footer.readUInt32LE(0) !== keys[r]) differing.push(r);
    }
  } finally {
    await handle.close();
  }
  if (index.offsets.length !== keys.length || differing.length > 0) {
    const what =
      index.offsets.length !== keys.length
        ? `it holds masks of ${keys.length} records, but ${records} holds ${index.offsets.length}`
        : `${differing.length} of its ${keys.length} records belong to other records than ${records}'s (the first: record ${differing[0]})`;
    throw new CorruptRecordError(
      where,
      `${what}: these masks are not this dataset's (copied from another seed or dataset?); render the dataset again with gqn-synth`,
      { file: masks.path },
    );
  }
}
