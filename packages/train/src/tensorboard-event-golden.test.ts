import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeFileVersionEvent, encodeSessionStartEvent, encodeSummaryEvent } from "./tensorboard-event.js";

// SHA-256 of the event encoders' bytes for fixed inputs, recorded from the hand-written encoder
// this replaced: the shared protobuf writer must give the same bytes.
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("TensorBoard event golden bytes", () => {
  it("file version, session start and summaries at large steps", () => {
    const png = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 255);
    const events = [
      encodeFileVersionEvent(1_733_390_000.123),
      encodeSessionStartEvent(1_733_390_000.5, 2 ** 40 + 3),
      encodeSummaryEvent(1e9, 0, []),
      encodeSummaryEvent(1_733_390_001.25, 123_456_789, [
        { tag: "train/elbo", scalar: 1234.5 },
        { tag: "train/kl", scalar: Number.NaN },
        { tag: "train/lr", scalar: -0 },
        { tag: "test/ünïcode", scalar: 3.4e38 },
        { tag: "test/context_target_prediction", image: { png, width: 640, height: 96 } },
        { tag: "grey", image: { png: png.subarray(0, 127), width: 1, height: 1, channels: 1 } },
      ]),
    ];
    expect(events.map((e) => [e.length, sha256(e)])).toEqual(GOLDEN);
  });
});

const GOLDEN: [number, string][] = [
  [24, "b412813c25dafa7595ede0d4070cba40a4a845c5bba007ae0cd32237d5e90be8"],
  [20, "e25000e274e57a46b53cf11f8c3b2ed9a6e8d87f2ebdd54ce8e63eef67d7485e"],
  [13, "82f6fc0a91002acb4b61a7468fa41e33d1f1ebaf4abe74e19535e4dd55a8d0f8"],
  [20292, "2e972ac885962991372bbe1ac7ab4ff6b2030e691cb5484c2a953139df575cae"],
];
