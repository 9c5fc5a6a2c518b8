import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTFRecords } from "@gqn/data/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fieldOf, protoFields } from "../../test/proto-fields.js";
import { TensorBoardWriter } from "./tensorboard-writer.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gqn-tb-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (v: unknown) => new TextDecoder().decode(v as Uint8Array);

describe("TensorBoardWriter", () => {
  it("writes CRC-checked TFRecords of Event protos: version, scalars, a PNG image", async () => {
    const tb = await TensorBoardWriter.open(dir);
    tb.scalars(7, { "train/elbo": 123.5, "train/kl": Number.NaN });
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
    tb.image(7, "test/grid", { width: 3, height: 2, rgb });
    await tb.close();
    const [name] = await readdir(dir);
    expect(name).toMatch(/^events\.out\.tfevents\.\d+\./);

    const events: Uint8Array[] = [];
    // readTFRecords verifies both masked CRC32Cs of every record and throws on a mismatch.
    for await (const record of readTFRecords(join(dir, name ?? ""))) events.push(record);
    expect(events).toHaveLength(3);

    const version = protoFields(events[0] as Uint8Array);
    expect(text(fieldOf(version, 3))).toBe("brain.Event:2");
    expect(fieldOf(version, 1)).toBeGreaterThan(1.7e9); // wall time in seconds

    const scalar = protoFields(events[1] as Uint8Array);
    expect(fieldOf(scalar, 2)).toBe(7n);
    const values = protoFields(fieldOf(scalar, 5) as Uint8Array).map((v) =>
      protoFields(v.value as Uint8Array),
    );
    // The NaN KL is left out; the ELBO is a float simple_value.
    expect(values).toHaveLength(1);
    expect(text(fieldOf(values[0] ?? [], 1))).toBe("train/elbo");
    expect(fieldOf(values[0] ?? [], 2)).toBe(123.5);

    const image = protoFields(events[2] as Uint8Array);
    const value = protoFields(fieldOf(protoFields(fieldOf(image, 5) as Uint8Array), 1) as Uint8Array);
    expect(text(fieldOf(value, 1))).toBe("test/grid");
    const img = protoFields(fieldOf(value, 4) as Uint8Array);
    expect([fieldOf(img, 1), fieldOf(img, 2), fieldOf(img, 3)]).toEqual([2n, 3n, 3n]);
    const png = fieldOf(img, 4) as Uint8Array;
    expect(Array.from(png.subarray(1, 4))).toEqual([80, 78, 71]); // "PNG"
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 8);
    expect([ihdr.getUint32(0), ihdr.getUint32(4)]).toEqual([3, 2]); // PNG width, height
  });
});
