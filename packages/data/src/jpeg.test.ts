import { describe, expect, it } from "vitest";
import { decodeJpeg, encodeJpeg, encodePng } from "./jpeg.js";
import { readJpegInfo } from "./jpeg-info.js";

function gradient(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      rgb[i] = (x * 255) / (w - 1);
      rgb[i + 1] = (y * 255) / (h - 1);
      rgb[i + 2] = 128;
    }
  }
  return rgb;
}

describe("JPEG and PNG codecs", () => {
  it("encode deterministically and decode within JPEG loss, non-square too", () => {
    const rgb = gradient(48, 32);
    const jpeg = encodeJpeg(rgb, 48, 32, 95);
    expect(encodeJpeg(rgb, 48, 32, 95)).toEqual(jpeg);
    expect(readJpegInfo(jpeg)).toEqual({ width: 48, height: 32, components: 3 });
    const image = decodeJpeg(jpeg);
    expect([image.width, image.height, image.data.length]).toEqual([48, 32, 48 * 32 * 3]);
    let err = 0;
    for (let i = 0; i < rgb.length; i++) err += Math.abs((image.data[i] as number) - (rgb[i] as number));
    expect(err / rgb.length).toBeLessThan(2);
  });

  it("reject bad input with clear errors", () => {
    expect(() => decodeJpeg(Uint8Array.of(1, 2, 3))).toThrow(/decodeJpeg: not a decodable JPEG/);
    expect(readJpegInfo(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).toBeUndefined();
    expect(() => encodeJpeg(new Uint8Array(5), 2, 2)).toThrow(/rgb must have 12 bytes/);
    expect(() => encodeJpeg(new Uint8Array(12), 2, 2, 0)).toThrow(/quality/);
  });

  it("encode PNG", () => {
    const png = encodePng(gradient(8, 8), 8, 8);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
