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

describe("without the native encoder", () => {
  it("the built @gqn/data/node still reads and decodes; encoding names what is missing", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "gqn-no-napi-"));
    try {
      const jpeg = join(dir, "frame.jpg");
      writeFileSync(jpeg, encodeJpeg(gradient(8, 8), 8, 8));
      // A preload that makes @napi-rs/image unresolvable, as on a platform without its binary.
      const block = join(dir, "block.cjs");
      writeFileSync(
        block,
        `const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@napi-rs/image") throw new Error("no prebuilt binary for this platform");
  return resolve.call(this, request, ...rest);
};`,
      );
      const script = `
const data = await import(${JSON.stringify(new URL("../dist/node.js", import.meta.url).href)});
const fs = await import("node:fs");
const image = data.decodeJpeg(new Uint8Array(fs.readFileSync(${JSON.stringify(jpeg)})));
console.log("decoded", image.width, image.height);
try { data.encodePng(new Uint8Array(12), 2, 2); } catch (error) { console.log(error.code, error.message); }`;
      const run = spawnSync(process.execPath, ["--require", block, "--input-type=module", "-e", script], {
        encoding: "utf8",
      });
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^decoded 8 8\n/);
      expect(run.stdout).toMatch(
        /UNSUPPORTED encodePng: encoding JPEG and PNG needs @napi-rs\/image \(an optional peer of @gqn\/data: npm install @napi-rs\/image.*no prebuilt binary/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
