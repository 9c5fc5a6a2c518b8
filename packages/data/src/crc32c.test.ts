import { describe, expect, it } from "vitest";
import { crc32c, maskCrc, maskedCrc32c } from "./crc32c.js";
import { fastCrc32c } from "./fast-crc32c.js";

const ascii = (s: string) => new TextEncoder().encode(s);

// A bitwise reference, independent of the table code.
function crcBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  it("matches the standard check value and RFC 3720 (iSCSI) vectors", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("agrees with a bitwise reference at every length and alignment, and continues", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (const end of [start, start + 1, start + 7, start + 8, start + 17, 300]) {
        expect(crc32c(data, start, end)).toBe(crcBitwise(data.subarray(start, end)));
        expect(crc32c(data.subarray(start, end))).toBe(crcBitwise(data.subarray(start, end)));
      }
    }
    expect(crc32c(data, 100, 300, crc32c(data, 0, 100))).toBe(crc32c(data));
  });

  it("masks as TFRecord does", () => {
    // TensorFlow's crc32c_test: Mask(crc) != crc.
    const crc = crc32c(ascii("foo"));
    expect(maskCrc(crc)).not.toBe(crc);
    // The header CRC of an 8-byte little-endian length 0, computed by hand from the formula.
    const c = crc32c(new Uint8Array(8));
    expect(maskedCrc32c(new Uint8Array(8))).toBe((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
  });
});

describe("fastCrc32c (Node)", () => {
  it("agrees with the TypeScript CRC-32C at every size and offset, native or not", () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + (i >> 3)) & 0xff);
    for (const [start, end] of [
      [0, 0],
      [3, 11],
      [0, 255],
      [1, 257],
      [7, 4093],
      [0, 5000],
    ] as const) {
      expect(fastCrc32c(data, start, end)).toBe(crc32c(data, start, end));
    }
    expect(fastCrc32c(new TextEncoder().encode("123456789".repeat(40)))).toBe(
      crc32c(new TextEncoder().encode("123456789".repeat(40))),
    );
  });
});
