// Our event files read by a decoder written here from TensorBoard's own definitions, sharing no
// code with the writer (not @gqn/data's TFRecord reader, not the test helpers): TFRecord framing
// with masked CRC32C, then `Event` (event.proto) and `Summary` (summary.proto) field by field.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TensorBoardWriter } from "./tensorboard-writer.js";

/** CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: slow and obviously right. */
function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add 0xa282ead8. */
const masked = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** The records of a TFRecord file: u64 length, masked CRC of it, data, masked CRC of the data. */
function tfrecords(file: Uint8Array): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < file.length) {
    const length = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true)).toBe(masked(crc32c(file.subarray(at, at + 8))));
    const data = file.subarray(at + 12, at + 12 + length);
    expect(view.getUint32(at + 12 + length, true)).toBe(masked(crc32c(data)));
    records.push(data);
    at += 16 + length;
  }
  expect(at).toBe(file.length);
  return records;
}

type Field = { number: number; value: bigint | number | Uint8Array };

/** Protobuf wire format: varint (0), fixed64 (1, read as double), bytes (2), fixed32 (5, float). */
function fields(bytes: Uint8Array): Field[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Field[] = [];
  let at = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [number, wire] = [key >>> 3, key & 7];
    if (wire === 0) out.push({ number, value: varint() });
    else if (wire === 1) {
      out.push({ number, value: view.getFloat64(at, true) });
      at += 8;
    } else if (wire === 5) {
      out.push({ number, value: view.getFloat32(at, true) });
      at += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ number, value: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire} is not used by Event`);
  }
  return out;
}

const one = (fs: Field[], n: number) => fs.filter((f) => f.number === n).map((f) => f.value);
const only = (fs: Field[], n: number) => {
  const values = one(fs, n);
  expect(values).toHaveLength(1);
  return values[0];
};
const utf8 = (v: unknown) => new TextDecoder().decode(v as Uint8Array);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gqn-tbproto-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe("event files, decoded against TensorBoard's field numbers", () => {
  it("open with file_version, then a session START; scalars are simple_values; images declare the PNG's channels", async () => {
    const tb = await TensorBoardWriter.open(dir, { step: 40 });
    tb.scalars(41, { "train/elbo": 12.5 });
    tb.image(41, "test/grid", { width: 3, height: 2, data: new Uint8Array(18).fill(200) });
    await tb.close();
    const [name] = await readdir(dir);
    // events.out.tfevents.<secs>.<host>.<pid>, as docs/training.md says.
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d+\\..+\\.${process.pid}$`));
    const [version, start, scalar, image, ...rest] = tfrecords(await readFile(join(dir, name as string))).map(
      fields,
    );
    expect(rest).toEqual([]);

    // Event: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5, session_log = 7.
    expect(utf8(only(version as Field[], 3))).toBe("brain.Event:2");
    expect(only(version as Field[], 1)).toBeGreaterThan(1.7e9);
    expect(only(start as Field[], 2)).toBe(41n);
    // SessionLog: status = 1, START = 1.
    expect(only(fields(only(start as Field[], 7) as Uint8Array), 1)).toBe(1n);

    expect(only(scalar as Field[], 2)).toBe(41n);
    // Summary: value = 1; Summary.Value: tag = 1, simple_value = 2 (float), image = 4.
    const scalarValue = fields(only(fields(only(scalar as Field[], 5) as Uint8Array), 1) as Uint8Array);
    expect(utf8(only(scalarValue, 1))).toBe("train/elbo");
    expect(only(scalarValue, 2)).toBe(12.5);

    const imageValue = fields(only(fields(only(image as Field[], 5) as Uint8Array), 1) as Uint8Array);
    expect(utf8(only(imageValue, 1))).toBe("test/grid");
    // Summary.Image: height = 1, width = 2, colorspace = 3, encoded_image_string = 4.
    const img = fields(only(imageValue, 4) as Uint8Array);
    const png = only(img, 4) as Uint8Array;
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 10);
    expect([only(img, 1), only(img, 2)]).toEqual([2n, 3n]);
    expect([ihdr.getUint32(4), ihdr.getUint32(0)]).toEqual([2, 3]);
    // PNG colour type 6 is RGBA: colorspace 4 (2 would be RGB's 3).
    const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[ihdr.getUint8(9)];
    expect(only(img, 3)).toBe(BigInt(channels as number));
  });

  it("a new run's file starts with a START too (TensorBoard ignores a run's first one)", async () => {
    const tb = await TensorBoardWriter.open(dir);
    await tb.close();
    const [name] = await readdir(dir);
    const [, start] = tfrecords(await readFile(join(dir, name as string))).map(fields);
    expect(only(start as Field[], 2)).toBe(1n);
    expect(only(fields(only(start as Field[], 7) as Uint8Array), 1)).toBe(1n);
  });
});
