import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "@gqn/core";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptRecordError } from "./errors.js";
import { readTFRecords } from "./read-tfrecords.js";
import { frameTFRecord } from "./tfrecord-framing.js";
import { type SkippedRecord, type TFRecordParseOptions, TFRecordParser } from "./tfrecord-parser.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-parser-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const records = [
  Uint8Array.from({ length: 5 }, (_, i) => i + 1),
  Uint8Array.from({ length: 9 }, (_, i) => 100 + i),
  Uint8Array.from({ length: 3 }, (_, i) => 200 + i),
];
const framed = records.map((r) => frameTFRecord(r));
const file = concat(framed);
/** Byte offset of each record's start, and the end of the file. */
const starts = [0];
for (const f of framed) starts.push((starts.at(-1) as number) + f.length);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The records of a whole file held in memory, parsed in one chunk. */
function parseTFRecords(bytes: Uint8Array, options: TFRecordParseOptions = {}): Uint8Array[] {
  const parser = new TFRecordParser(options);
  const out = parser.push(bytes).map((r) => r.data);
  parser.end();
  return out;
}

function flipped(at: number): Uint8Array {
  const copy = file.slice();
  copy[at] = (copy[at] as number) ^ 0x10;
  return copy;
}

function skipMode(bytes: Uint8Array) {
  const skipped: SkippedRecord[] = [];
  const out = parseTFRecords(bytes, { onCorrupt: "skip", onSkip: (s) => skipped.push(s), file: "mem" });
  return { out, skipped };
}

describe("TFRecordParser", () => {
  it("reads records in any chunking", () => {
    expect(parseTFRecords(file)).toEqual(records);
    const parser = new TFRecordParser();
    const out = [];
    for (let i = 0; i < file.length; i++) out.push(...parser.push(file.subarray(i, i + 1)));
    parser.end();
    expect(out.map((r) => r.data)).toEqual(records);
    expect(out.map((r) => r.offset)).toEqual(starts.slice(0, 3));
    expect(out.map((r) => r.record)).toEqual([0, 1, 2]);
  });

  // Record 1's regions: length (8 bytes), length CRC (4), data (9), data CRC (4).
  const s1 = starts[1] as number;
  const regions: [string, number, RegExp][] = [
    ["length", s1 + 2, /length CRC mismatch/],
    ["length CRC", s1 + 9, /length CRC mismatch/],
    ["data", s1 + 12 + 4, /data CRC mismatch/],
    ["data CRC", s1 + 12 + 9 + 1, /data CRC mismatch/],
  ];
  for (const [region, at, reason] of regions) {
    it(`names file, record and offset for a flipped byte in the ${region}, and skip mode keeps the rest`, () => {
      const bytes = flipped(at);
      let error: unknown;
      try {
        parseTFRecords(bytes, { file: "shard.tfrecord" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorruptRecordError);
      const corrupt = error as CorruptRecordError;
      expect(corrupt.code).toBe("CORRUPT_RECORD");
      expect(corrupt.message).toMatch(reason);
      expect(corrupt.message).toContain(`(in shard.tfrecord, record 1, at byte offset ${s1})`);
      expect([corrupt.file, corrupt.record, corrupt.offset]).toEqual(["shard.tfrecord", 1, s1]);
      const { out, skipped } = skipMode(bytes);
      expect(out).toEqual([records[0], records[2]]);
      expect(skipped.map((s) => [s.record, s.offset])).toEqual([[1, s1]]);
      expect(skipped[0]?.reason).toMatch(reason);
      // Without CRC checks a data flip goes through unnoticed (which is why checks are on by default).
      if (region === "data") expect(parseTFRecords(bytes, { verifyCrc: false })[1]).not.toEqual(records[1]);
    });
  }

  it("reports a truncated file at every cut, and keeps every complete record in skip mode", () => {
    for (let cut = 1; cut < file.length; cut++) {
      const bytes = file.subarray(0, cut);
      const complete = starts.filter((s, i) => i > 0 && s <= cut).length;
      if (starts.includes(cut)) {
        expect(parseTFRecords(bytes)).toEqual(records.slice(0, complete));
        continue;
      }
      const offset = starts[complete] as number;
      expect(() => parseTFRecords(bytes, { file: "cut" }), `cut at ${cut}`).toThrow(
        new RegExp(
          `truncated file: record (header )?has ${cut - offset} of .*record ${complete}, at byte offset ${offset}`,
        ),
      );
      const { out, skipped } = skipMode(bytes);
      expect(out).toEqual(records.slice(0, complete));
      expect(skipped).toHaveLength(1);
      expect(skipped[0]?.offset).toBe(offset);
    }
  });

  it("recovers every intact record after garbage between records", () => {
    const garbage = Uint8Array.from({ length: 37 }, (_, i) => (i * 73 + 11) & 0xff);
    const bytes = concat([
      framed[0] as Uint8Array,
      garbage,
      framed[1] as Uint8Array,
      framed[2] as Uint8Array,
    ]);
    const { out, skipped } = skipMode(bytes);
    expect(out).toEqual(records);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.offset).toBe(framed[0]?.length);
  });

  it("readTFRecords names the file path", async () => {
    const path = join(root, "bad.tfrecord");
    writeFileSync(path, flipped((starts[2] as number) + 13));
    const read = async () => {
      for await (const _ of readTFRecords(path)) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow(`(in ${path}, record 2, at byte offset ${starts[2]})`);
    const stream = readTFRecords(path, { onCorrupt: "skip" });
    const out = [];
    for await (const r of stream) out.push(r);
    expect(out).toEqual(records.slice(0, 2));
    expect(stream.skipped.map((s) => s.record)).toEqual([2]);
  });

  it("in skip mode never throws and never yields a record that was not written (seeded fuzz)", () => {
    const random = new Random(7);
    const written = new Set(records.map((r) => r.join(",")));
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = file.slice(0, file.length - random.int(6));
      for (let k = random.int(4); k > 0; k--) bytes[random.int(bytes.length)] = random.int(256);
      const { out } = skipMode(bytes);
      for (const r of out) expect(written.has(r.join(","))).toBe(true);
    }
  });
});
