import { describe, expect, it } from "vitest";
import { encodeGif } from "./gif.js";

describe("encodeGif", () => {
  it("writes a looping GIF89a with one frame per image", () => {
    const frame = (value: number) => ({ width: 4, height: 2, data: new Uint8Array(24).fill(value) });
    const gif = encodeGif([frame(0), frame(128), frame(255)]);
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe("GIF89a");
    expect(new DataView(gif.buffer, gif.byteOffset + 6, 4).getUint16(0, true)).toBe(4); // width
    expect(new TextDecoder("latin1").decode(gif)).toContain("NETSCAPE2.0"); // loop extension
    // One graphic control extension (0x21 0xF9) per frame.
    let controls = 0;
    for (let i = 0; i + 1 < gif.length; i++) if (gif[i] === 0x21 && gif[i + 1] === 0xf9) controls++;
    expect(controls).toBe(3);
    expect(() => encodeGif([frame(0), { width: 2, height: 2, data: new Uint8Array(12) }])).toThrow(
      /frame 1 is 2x2/,
    );
  });

  it("encodes each frame's own pixels: the size grows with the frames, not with their square", () => {
    // Noisy 16x16 frames (LZW cannot fold them), each different.
    const noisy = (seed: number) => ({
      width: 16,
      height: 16,
      data: Uint8Array.from(
        { length: 16 * 16 * 3 },
        (_, i) => (Math.imul(i + 1, 2654435761 + seed) >>> 24) & 0xff,
      ),
    });
    const frames = Array.from({ length: 12 }, (_, i) => noisy(i));
    const one = encodeGif(frames.slice(0, 1)).length;
    const twelve = encodeGif(frames).length;
    // Each frame after the first adds about one frame's bytes; a frame holding all the frames
    // after it (the subarray bug) made twelve frames cost ~78 of them.
    expect(twelve).toBeLessThan(14 * one);
  });
});
