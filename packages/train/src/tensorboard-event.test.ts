import { describe, expect, it } from "vitest";
import { encodeFileVersionEvent, encodeSessionStartEvent, encodeSummaryEvent } from "./tensorboard-event.js";

// Expected bytes worked out by hand from the protobuf wire format (tag = field << 3 | wire type).
describe("TensorBoard events", () => {
  it("encodes the file-version event", () => {
    const bytes = encodeFileVersionEvent(0);
    expect(Array.from(bytes.slice(0, 9))).toEqual([0x09, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes[9]).toBe(0x1a); // field 3, length-delimited
    expect(new TextDecoder().decode(bytes.slice(11))).toBe("brain.Event:2");
  });

  it("encodes a scalar summary with its step", () => {
    const bytes = encodeSummaryEvent(1.5, 300, [{ tag: "elbo", scalar: 2 }]);
    const wall = new DataView(bytes.buffer, 1, 8).getFloat64(0, true);
    expect(bytes[0]).toBe(0x09);
    expect(wall).toBe(1.5);
    expect(Array.from(bytes.slice(9, 12))).toEqual([0x10, 0xac, 0x02]); // step 300 as a varint
    // summary (field 5) { value (field 1) { tag "elbo", simple_value (field 2, fixed32) 2.0 } }
    expect(Array.from(bytes.slice(12))).toEqual([
      0x2a, 13, 0x0a, 11, 0x0a, 4, 101, 108, 98, 111, 0x15, 0, 0, 0, 0x40,
    ]);
  });

  it("encodes an image summary", () => {
    const png = new Uint8Array([1, 2, 3]);
    const bytes = encodeSummaryEvent(0, 1, [{ tag: "g", image: { png, width: 4, height: 2 } }]);
    const tail = Array.from(bytes.slice(-13));
    // image (field 4) { height 2, width 4, colorspace 3, encoded_image_string [1, 2, 3] }
    expect(tail).toEqual([0x22, 11, 0x08, 2, 0x10, 4, 0x18, 3, 0x22, 3, 1, 2, 3]);
  });

  it("encodes a session START at a step", () => {
    const bytes = encodeSessionStartEvent(0, 5);
    // step 5, then session_log (field 7, length-delimited) { status (field 1) = START (1) }
    expect(Array.from(bytes.slice(9))).toEqual([0x10, 5, 0x3a, 2, 0x08, 1]);
  });
});
