import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildConvModel } from "./conv-model.js";

// SHA-256 of the ONNX models' bytes for fixed convolutions, recorded from the hand-written writer
// this replaced: the shared protobuf writer must give the same bytes.
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("buildConvModel golden bytes", () => {
  it("with and without bias, strides, dilations, pads and large dimensions", () => {
    const models = [
      buildConvModel({
        xShape: [4, 16, 16, 583],
        filterShape: [5, 5, 583, 1024],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [2, 2, 2, 2],
      }),
      buildConvModel({
        xShape: [36, 64, 64, 3],
        filterShape: [2, 2, 3, 256],
        strides: [2, 2],
        dilations: [1, 1],
        pads: [0, 0, 0, 0],
        bias: true,
      }),
      buildConvModel({
        xShape: [1, 300, 200, 130],
        filterShape: [3, 3, 130, 128],
        strides: [1, 2],
        dilations: [2, 1],
        pads: [2, 1, 0, 3],
        bias: true,
      }),
    ];
    expect(models.map((m) => [m.length, sha256(m)])).toEqual(GOLDEN);
  });
});

const GOLDEN: [number, string][] = [
  [328, "614ea7a4532605811e1c571dd722c7e167b8574566065aa8a8745f7e01bd1f3f"],
  [347, "9f0254c0e70b5570f499195d178a41fe2ddafbd155307dd41a717d972a2416b0"],
  [352, "531a6376031632943f7ac9b471e6d00d600428e75bfc1949c0e1354914049666"],
];
