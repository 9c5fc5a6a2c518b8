// Event files read by a decoder written here from TensorBoard's own definitions, sharing no
// code with the writer (not @gqn/data's TFRecord reader, not the ProtoWriter): TFRecord framing
// with masked CRC32C, then `Event` (event.proto) and `Summary` (summary.proto) field by field.
import { expect } from "vitest";

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
export function tfrecords(file: Uint8Array): Uint8Array[] {
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

export type Field = { number: number; value: bigint | number | Uint8Array };

/** Protobuf wire format: varint (0), fixed64 (1, read as double), bytes (2), fixed32 (5, float). */
export function fields(bytes: Uint8Array): Field[] {
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

export const one = (fs: Field[], n: number) => fs.filter((f) => f.number === n).map((f) => f.value);
export const only = (fs: Field[], n: number) => {
  const values = one(fs, n);
  expect(values).toHaveLength(1);
  return values[0];
};
export const utf8 = (v: unknown) => new TextDecoder().decode(v as Uint8Array);

/** The tags of every summary value in an event file's records, in order. */
export function summaryTags(file: Uint8Array): string[] {
  return tfrecords(file).flatMap((record) =>
    one(fields(record), 5).flatMap((summary) =>
      one(fields(summary as Uint8Array), 1).map((value) => utf8(only(fields(value as Uint8Array), 1))),
    ),
  );
}
