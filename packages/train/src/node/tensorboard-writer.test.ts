// Our event files read by test/event-file-reader.ts, a decoder written from TensorBoard's own
// definitions that shares no code with the writer.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Field, fields, only, tfrecords, utf8 } from "../../test/event-file-reader.js";
import { TensorBoardWriter } from "./tensorboard-writer.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gqn-tbproto-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe("event files, decoded against TensorBoard's field numbers", () => {
  it("open with file_version, then a session START; scalars are simple_values; images declare the PNG's channels", async () => {
    const tb = await TensorBoardWriter.open(dir, { step: 40 });
    tb.scalars(41, { "train/elbo": 12.5 });
    tb.image(41, "test/grid", { width: 3, height: 2, data: new Uint8Array(18).fill(200) });
    await tb.close();
    const [name] = await readdir(dir);
    // events.out.tfevents.<secs>.<host>.<pid>, as docs/training.md says.
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d+\\..+\\.${process.pid}$`));
    const [version, start, scalar, image, ...rest] = tfrecords(await readFile(join(dir, name as string))).map(
      fields,
    );
    expect(rest).toEqual([]);

    // Event: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5, session_log = 7.
    expect(utf8(only(version as Field[], 3))).toBe("brain.Event:2");
    expect(only(version as Field[], 1)).toBeGreaterThan(1.7e9);
    expect(only(start as Field[], 2)).toBe(41n);
    // SessionLog: status = 1, START = 1.
    expect(only(fields(only(start as Field[], 7) as Uint8Array), 1)).toBe(1n);

    expect(only(scalar as Field[], 2)).toBe(41n);
    // Summary: value = 1; Summary.Value: tag = 1, simple_value = 2 (float), image = 4.
    const scalarValue = fields(only(fields(only(scalar as Field[], 5) as Uint8Array), 1) as Uint8Array);
    expect(utf8(only(scalarValue, 1))).toBe("train/elbo");
    expect(only(scalarValue, 2)).toBe(12.5);

    const imageValue = fields(only(fields(only(image as Field[], 5) as Uint8Array), 1) as Uint8Array);
    expect(utf8(only(imageValue, 1))).toBe("test/grid");
    // Summary.Image: height = 1, width = 2, colorspace = 3, encoded_image_string = 4.
    const img = fields(only(imageValue, 4) as Uint8Array);
    const png = only(img, 4) as Uint8Array;
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 10);
    expect([only(img, 1), only(img, 2)]).toEqual([2n, 3n]);
    expect([ihdr.getUint32(4), ihdr.getUint32(0)]).toEqual([2, 3]);
    // PNG colour type 6 is RGBA: colorspace 4 (2 would be RGB's 3).
    const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[ihdr.getUint8(9)];
    expect(only(img, 3)).toBe(BigInt(channels as number));
  });

  it("a new run's file starts with a START too (TensorBoard ignores a run's first one)", async () => {
    const tb = await TensorBoardWriter.open(dir);
    await tb.close();
    const [name] = await readdir(dir);
    const [, start] = tfrecords(await readFile(join(dir, name as string))).map(fields);
    expect(only(start as Field[], 2)).toBe(1n);
    expect(only(fields(only(start as Field[], 7) as Uint8Array), 1)).toBe(1n);
  });
});
