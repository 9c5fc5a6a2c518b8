import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeExample } from "./example.js";

// SHA-256 of encodeExample's bytes for fixed inputs, recorded from the hand-written encoder this
// replaced: the shared protobuf writer must give the same bytes, field order and varint sizes included.
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const frames = [0, 1, 127, 128, 300, 16_384, 40_000].map((n) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255),
);

describe("encodeExample golden bytes", () => {
  it("a scene record: frames of sizes across varint boundaries and cameras", () => {
    const cameras = Float32Array.from({ length: frames.length * 5 }, (_, i) => Math.sin(i) * 3);
    const bytes = encodeExample({
      frames: { kind: "bytes", value: frames },
      cameras: { kind: "float", value: cameras },
    });
    expect([bytes.length, sha256(bytes)]).toEqual(GOLDEN.scene);
  });

  it("extreme values, empty lists and a non-ASCII key", () => {
    const bytes = encodeExample({
      floats: { kind: "float", value: Float32Array.of(-0, Number.NaN, Infinity, -Infinity, 1e-40, 3.4e38) },
      ints: {
        kind: "int64",
        value: BigInt64Array.of(0n, 1n, -1n, 127n, 128n, 2n ** 63n - 1n, -(2n ** 63n), 300n),
      },
      emptyFloats: { kind: "float", value: new Float32Array(0) },
      emptyInts: { kind: "int64", value: new BigInt64Array(0) },
      emptyBytes: { kind: "bytes", value: [] },
      ünïcode: { kind: "bytes", value: [Uint8Array.of(1, 2, 3)] },
    });
    expect([bytes.length, sha256(bytes)]).toEqual(GOLDEN.extremes);
  });

  it("no features", () => {
    expect([...encodeExample({})]).toEqual(GOLDEN.empty);
  });
});

const GOLDEN = {
  scene: [57145, "fd76001c9e2f77cd57feb75b4b1717449283a31cc340b06475c005434e56ce80"] as [number, string],
  extremes: [169, "130a291669e062170063f8c199752dba32c6be1a584b9370e50b2ffcc6d24137"] as [number, string],
  empty: [10, 0],
};
