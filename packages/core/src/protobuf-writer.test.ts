import { describe, expect, it } from "vitest";
import { ProtoWriter } from "./protobuf-writer.js";

// Expected bytes worked out from the wire format: key = field << 3 | wire type, varints 7 bits a byte, low first.
describe("ProtoWriter", () => {
  it("writes varints, including int64 negatives as ten bytes", () => {
    expect([...new ProtoWriter().varint(1, 0).varint(2, 300).finish()]).toEqual([0x08, 0, 0x10, 0xac, 0x02]);
    expect([...new ProtoWriter().varint(1, -1).finish()]).toEqual([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect([...new ProtoWriter().varint(1, 2n ** 63n).finish()]).toEqual([
      0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    ]);
    expect([...new ProtoWriter().varint(16, 1).finish()]).toEqual([0x80, 0x01, 0x01]);
  });

  it("writes fixed64 doubles and fixed32 floats little-endian", () => {
    expect([...new ProtoWriter().double(1, 1).finish()]).toEqual([0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    expect([...new ProtoWriter().float(2, 2).finish()]).toEqual([0x15, 0, 0, 0, 0x40]);
  });

  it("writes strings, bytes and packed lists, omitting empty packed lists", () => {
    expect([...new ProtoWriter().string(1, "hé").finish()]).toEqual([0x0a, 3, 0x68, 0xc3, 0xa9]);
    expect([...new ProtoWriter().bytes(4, Uint8Array.of(1, 2)).finish()]).toEqual([0x22, 2, 1, 2]);
    expect([...new ProtoWriter().packedVarints(8, [1, 300]).finish()]).toEqual([0x42, 3, 1, 0xac, 0x02]);
    expect([...new ProtoWriter().packedFloats(1, Float32Array.of(1)).finish()]).toEqual([
      0x0a, 4, 0, 0, 0x80, 0x3f,
    ]);
    expect(new ProtoWriter().packedFloats(1, new Float32Array(0)).packedVarints(2, []).finish()).toHaveLength(
      0,
    );
  });

  it("sizes a nested message's length prefix after its body, across varint boundaries and buffer growth", () => {
    for (const n of [0, 1, 126, 127, 128, 16_383, 16_384, 70_000]) {
      const body = Uint8Array.from({ length: n }, (_, i) => i & 255);
      const nested = new ProtoWriter(16)
        .message(3, (m) => m.message(1, (inner) => inner.bytes(2, body)))
        .finish();
      const direct = new ProtoWriter().bytes(2, body).finish();
      const middle = new ProtoWriter().bytes(1, direct).finish();
      expect([...nested]).toEqual([...new ProtoWriter().bytes(3, middle).finish()]);
    }
    expect([
      ...new ProtoWriter()
        .message(1, () => {})
        .varint(2, 1)
        .finish(),
    ]).toEqual([0x0a, 0, 0x10, 1]);
  });

  it("names a field number or a varint it cannot write", () => {
    expect(() => new ProtoWriter().varint(0, 1)).toThrow(
      /field must be an integer in \[1, 2\^29 - 1\], but got 0/,
    );
    expect(() => new ProtoWriter().varint(1, 0.5)).toThrow(/safe integer or a bigint, but got 0.5/);
  });
});
