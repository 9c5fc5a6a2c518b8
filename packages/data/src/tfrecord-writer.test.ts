import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { crc32c, maskCrc } from "./crc32c.js";
import { indexTFRecords, readTFRecords } from "./read-tfrecords.js";
import { TFRecordWriter } from "./tfrecord-writer.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-writer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const records = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(70_000).map((_, i) => i & 0xff)];

async function readAll(path: string, options = {}) {
  const out: Uint8Array[] = [];
  for await (const r of readTFRecords(path, options)) out.push(r);
  return out;
}

describe("TFRecordWriter", () => {
  it("frames records as length, masked length CRC, data, masked data CRC", async () => {
    const path = join(root, "one.tfrecord");
    const w = await TFRecordWriter.open(path);
    await w.write(Uint8Array.of(0x61, 0x62));
    await w.close();
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(bytes.length).toBe(8 + 4 + 2 + 4);
    expect(view.getUint32(0, true)).toBe(2);
    expect(view.getUint32(4, true)).toBe(0);
    expect(view.getUint32(8, true)).toBe(maskCrc(crc32c(bytes.subarray(0, 8))));
    expect(view.getUint32(14, true)).toBe(maskCrc(crc32c(Uint8Array.of(0x61, 0x62))));
  });

  it("round-trips through readTFRecords, plain and GZIP (by its .gz name), and indexes its records", async () => {
    for (const gzip of [false, true]) {
      const path = join(root, `rt-${gzip}.tfrecord${gzip ? ".gz" : ""}`);
      const w = await TFRecordWriter.open(path, { gzip });
      for (const r of records) await w.write(r);
      await w.close();
      expect(await readAll(path, { chunkBytes: 1000 })).toEqual(records);
    }
    const index = await indexTFRecords(join(root, "rt-false.tfrecord"));
    expect(index.lengths).toEqual([0, 3, 70_000]);
    expect(index.offsets).toEqual([0, 16, 35]);
  });

  it("reads a file gzipped by another tool, and never guesses compression from content", async () => {
    const plain = join(root, "rt-false.tfrecord");
    const gz = join(root, "other.tfrecord.gz");
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    expect(await readAll(gz)).toEqual(records);
    // Named as plain, explicitly GZIP: read as asked.
    const renamed = join(root, "gzipped-but-plain-name.tfrecord");
    writeFileSync(renamed, gzipSync(readFileSync(plain)));
    expect(await readAll(renamed, { compression: "gzip" })).toEqual(records);
    // A plain shard whose first two bytes became gzip's magic: a CRC error at record 0, offset 0,
    // not a decompression of the whole file.
    const damaged = join(root, "damaged.tfrecord");
    const bytes = readFileSync(plain);
    bytes[0] = 0x1f;
    bytes[1] = 0x8b;
    writeFileSync(damaged, bytes);
    await expect(readAll(damaged)).rejects.toThrow(/damaged\.tfrecord.*record 0.*offset 0/);
  });

  it("atomic mode writes a temporary file, renames on close and removes it on abort", async () => {
    const dir = join(root, "atomic", "train");
    const path = join(dir, "1-of-1.tfrecord");
    const w = await TFRecordWriter.open(path, { atomic: true });
    await w.write(Uint8Array.of(9));
    expect(readdirSync(dir)).toEqual([`1-of-1.tfrecord.tmp-${process.pid}`]);
    await w.close();
    expect(readdirSync(dir)).toEqual(["1-of-1.tfrecord"]);
    const aborted = await TFRecordWriter.open(join(dir, "2-of-2.tfrecord"), { atomic: true });
    await aborted.write(Uint8Array.of(9));
    await aborted.abort();
    expect(readdirSync(dir)).toEqual(["1-of-1.tfrecord"]);
    expect(existsSync(join(dir, "2-of-2.tfrecord"))).toBe(false);
    await expect(aborted.write(Uint8Array.of(1))).rejects.toThrow(/already closed/);
  });

  it("atomic mode replaces a link planted at the temporary name instead of writing through it", async () => {
    const dir = join(root, "planted");
    mkdirSync(dir, { recursive: true });
    const target = join(root, "precious");
    writeFileSync(target, "keep me");
    const path = join(dir, "1-of-1.tfrecord");
    symlinkSync(target, `${path}.tmp-${process.pid}`);
    const w = await TFRecordWriter.open(path, { atomic: true });
    await w.write(Uint8Array.of(9));
    await w.close();
    expect(readFileSync(target, "utf8")).toBe("keep me");
    expect(lstatSync(path).isFile()).toBe(true);
    expect(await readAll(path)).toEqual([Uint8Array.of(9)]);
  });

  it("waits for the disk under backpressure without piling up listeners", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const path = join(root, "big.tfrecord");
      const w = await TFRecordWriter.open(path);
      const record = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
      for (let i = 0; i < 40; i++) await w.write(record);
      await w.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((x) => x.name)).not.toContain("MaxListenersExceededWarning");
      let n = 0;
      for await (const r of readTFRecords(path)) n += r.length === record.length ? 1 : 0;
      expect(n).toBe(40);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
