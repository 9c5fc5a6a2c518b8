import { crc32c, maskCrc, maskedCrc32c } from "./crc32c.js";

/** Bytes before a record's data: uint64 length + uint32 masked CRC of the length. */
export const TFRECORD_HEADER_BYTES = 12;
/** Bytes after a record's data: uint32 masked CRC of the data. */
export const TFRECORD_FOOTER_BYTES = 4;

/**
 * Frames one record as TFRecord bytes: `uint64 length` (little-endian), `uint32 masked_crc32c(length bytes)`,
 * `data`, `uint32 masked_crc32c(data)`. `crc` computes the data's CRC-32C (a native one in Node).
 */
export function frameTFRecord(data: Uint8Array, crc: (data: Uint8Array) => number = crc32c): Uint8Array {
  const out = new Uint8Array(TFRECORD_HEADER_BYTES + data.length + TFRECORD_FOOTER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length % 2 ** 32, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, TFRECORD_HEADER_BYTES);
  view.setUint32(TFRECORD_HEADER_BYTES + data.length, maskCrc(crc(data)), true);
  return out;
}
