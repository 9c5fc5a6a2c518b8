import { Random } from "@gqn/core";
import { describe, expect, it } from "vitest";
import { CorruptRecordError } from "./errors.js";
import { decodeExample, encodeExample } from "./example.js";

// Hand-assembled protobuf bytes, so the decoder is checked against the wire format, not against the encoder.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const len = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];
const f32 = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];
const entry = (key: string, feature: number[]) =>
  len(1, [...len(1, [...new TextEncoder().encode(key)]), ...len(2, feature)]);
const example = (...entries: number[][]) => Uint8Array.from(len(1, entries.flat()));

describe("encodeExample / decodeExample", () => {
  it("round-trips bytes, float and int64 lists, including extremes and empty lists", () => {
    const features = {
      frames: {
        kind: "bytes" as const,
        value: [Uint8Array.of(0xff, 0xd8), new Uint8Array(300).fill(7), new Uint8Array(0)],
      },
      cameras: { kind: "float" as const, value: Float32Array.of(1.5, -2, 3.25, Math.PI, -0) },
      ids: {
        kind: "int64" as const,
        value: BigInt64Array.of(0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 300n),
      },
      empty: { kind: "float" as const, value: new Float32Array(0) },
      ünïcode: { kind: "bytes" as const, value: [] },
    };
    const decoded = decodeExample(encodeExample(features));
    expect(decoded.frames).toEqual(features.frames);
    expect(decoded.cameras).toEqual(features.cameras);
    expect(decoded.ids).toEqual(features.ids);
    expect(decoded.empty?.value).toHaveLength(0);
    expect(decoded["ünïcode"]).toEqual({ kind: "bytes", value: [] });
  });

  it("writes the canonical packed wire form", () => {
    const bytes = encodeExample({ x: { kind: "float", value: Float32Array.of(1) } });
    expect([...bytes]).toEqual([...example(entry("x", len(2, len(1, f32(1)))))]);
    const ints = encodeExample({ n: { kind: "int64", value: BigInt64Array.of(300n) } });
    expect([...ints]).toEqual([...example(entry("n", len(3, len(1, [0xac, 0x02]))))]);
  });

  it("reads unpacked floats and int64s, several packed chunks, and skips unknown fields", () => {
    const unpackedFloats = len(2, [(1 << 3) | 5, ...f32(1), (1 << 3) | 5, ...f32(2), ...len(1, f32(3))]);
    const unpackedInts = len(3, [
      (1 << 3) | 0,
      ...varint(5),
      ...len(1, [1, 2]),
      (1 << 3) | 0,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01,
    ]);
    const unknown = [(7 << 3) | 0, 42, ...len(9, [1, 2, 3])];
    const decoded = decodeExample(example(entry("f", unpackedFloats), entry("i", unpackedInts), unknown));
    expect(decoded.f).toEqual({ kind: "float", value: Float32Array.of(1, 2, 3) });
    expect(decoded.i).toEqual({ kind: "int64", value: BigInt64Array.of(5n, 1n, 2n, -1n) });
  });

  it("throws CorruptRecordError on malformed bytes", () => {
    const good = encodeExample({ a: { kind: "bytes", value: [new Uint8Array(10)] } });
    for (const cut of [1, 5, good.length - 1]) {
      expect(() => decodeExample(good.subarray(0, cut))).toThrow(CorruptRecordError);
    }
    expect(() => decodeExample(Uint8Array.of(0x0a, 0x05, 0x0a, 0x10))).toThrow(/malformed tf.train.Example/);
  });

  it("never fails other than with CorruptRecordError, whatever bytes it gets (seeded fuzz)", () => {
    const good = encodeExample({
      frames: { kind: "bytes", value: [new Uint8Array(40).fill(7), new Uint8Array(3)] },
      cameras: { kind: "float", value: Float32Array.of(1, -2, 3.5, 0, 1e-3) },
      ids: { kind: "int64", value: BigInt64Array.of(-1n, 300n) },
    });
    const random = new Random(42);
    let other = 0;
    const attempt = (bytes: Uint8Array) => {
      try {
        decodeExample(bytes);
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) other++;
      }
    };
    for (let cut = 0; cut <= good.length; cut++) attempt(good.subarray(0, cut));
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = good.slice();
      for (let k = 1 + random.int(3); k > 0; k--) bytes[random.int(bytes.length)] = random.int(256);
      attempt(bytes);
    }
    expect(other).toBe(0);
  });
});
