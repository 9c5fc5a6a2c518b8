import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crc32c, maskCrc } from "./crc32c.js";
import type { DatasetInfo } from "./datasets.js";
import {
  encodeObjectMaskFile,
  OBJECT_MASKS_FORMAT,
  ObjectMaskFile,
  ObjectMasks,
  type ObjectMaskView,
  objectMaskFileName,
  objectMaskRecordKey,
} from "./object-masks.js";
import { frameTFRecord } from "./tfrecord-framing.js";
import { TFRecordWriter } from "./tfrecord-writer.js";

const root = mkdtempSync(join(tmpdir(), "gqn-object-masks-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** View `v` of record `r`: object `r + 1` over the pixels whose index is below `4 * v + r`, behind it grey `10 * v`. */
function view(r: number, v: number, size: number): ObjectMaskView {
  const ids = new Uint8Array(size * size);
  const behind = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    ids[i] = i < 4 * v + r ? r + 1 : 0;
    behind.fill(ids[i] ? 10 * v + 1 : 200 + v, i * 3, i * 3 + 3);
  }
  return { ids, behind };
}
const records = (count: number, views: number, size: number) =>
  Array.from({ length: count }, (_, r) => Array.from({ length: views }, (_, v) => view(r, v, size)));
/** What a view reads back as: `behind` kept where ids are not 0 only. */
const stored = ({ ids, behind }: ObjectMaskView): ObjectMaskView => ({
  ids,
  behind: behind.map((x, i) => (ids[Math.floor(i / 3)] ? x : 0)),
});

describe("object mask files", () => {
  it("name themselves after their TFRecord file", () => {
    expect(objectMaskFileName("rooms/test/01-of-10.tfrecord")).toBe("01-of-10.masks");
    expect(objectMaskFileName("x/0001-of-2160.tfrecord.gz")).toBe("0001-of-2160.masks");
  });

  it("key each record by the data CRC its TFRecord framing stores", () => {
    // Below 256 bytes the TypeScript CRC runs, from 256 the native one: both keys are the framing's.
    for (const length of [0, 3, 255, 256, 70_000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      const framed = frameTFRecord(data);
      const stored = new DataView(framed.buffer).getUint32(framed.length - 4, true);
      expect(objectMaskRecordKey(data), `${length} bytes`).toBe(stored);
    }
  });

  it("read back every record and view written, in any order", async () => {
    const path = join(root, "three.masks");
    writeFileSync(path, encodeObjectMaskFile(records(3, 4, 6), 6, 4, [7, 8, 9]));
    const file = await ObjectMaskFile.open(path);
    expect([file.frameSize, file.views, file.records]).toEqual([6, 4, 3]);
    for (const r of [2, 0, 1]) {
      const views = await file.read(r);
      expect(views).toEqual(views.map((_, i) => stored(view(r, i, 6))));
    }
    await file.close();
  });

  it("name the file and record when a mask is missing or damaged", async () => {
    await expect(ObjectMaskFile.open(join(root, "absent.masks"))).rejects.toThrow(
      /ObjectMaskFile.open: .*absent\.masks is missing/,
    );
    const bytes = encodeObjectMaskFile(records(3, 2, 4), 4, 2, [1, 2, 3]);
    const truncated = join(root, "truncated.masks");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
    await expect(ObjectMaskFile.open(truncated)).rejects.toThrow(
      /the file is \d+ bytes long, .*\(truncated or overwritten\) \(in .*truncated\.masks\)/,
    );
    const notMasks = join(root, "not.masks");
    writeFileSync(notMasks, "hello, this is not a mask file");
    await expect(ObjectMaskFile.open(notMasks)).rejects.toThrow(/must start with GQNMASK2, or GQNMASK1/);

    // A flipped byte in record 1's data: records 0 and 2 still read.
    const flipped = new Uint8Array(bytes);
    const file0 = await ObjectMaskFile.open(writeTo("ok.masks", bytes));
    const start = (file0 as unknown as { offsets: Uint32Array }).offsets[1] as number;
    await file0.close();
    flipped[start + 2] = (flipped[start + 2] as number) ^ 0x40;
    const file = await ObjectMaskFile.open(writeTo("flipped.masks", flipped));
    await expect(file.read(1)).rejects.toMatchObject({ code: "CORRUPT_RECORD", record: 1 });
    await expect(file.read(1)).rejects.toThrow(/flipped\.masks, record 1/);
    expect((await file.read(2))[1]).toEqual(stored(view(2, 1, 4)));
    await expect(file.read(3)).rejects.toThrow(/holds 3 records, so record 3 has no masks .*flipped\.masks/);
    await file.close();
  });
});

function writeTo(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

describe("ObjectMasks", () => {
  const info = (extra: Record<string, unknown>): DatasetInfo => ({
    name: "toy",
    frameSize: 5,
    views: 3,
    trainFiles: 1,
    testFiles: 1,
    ...extra,
  });
  const dataDir = join(root, "data");
  mkdirSync(join(dataDir, "toy", "masks", "test"), { recursive: true });
  // The records the masks belong to: their keys are the records' masked data CRCs.
  const recordData = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)];
  const keys = recordData.map((data) => maskCrc(crc32c(data)));
  beforeAll(async () => {
    const writer = await TFRecordWriter.open(join(dataDir, "toy", "test", "1-of-1.tfrecord"));
    for (const data of recordData) await writer.write(data);
    await writer.close();
  });
  writeFileSync(
    join(dataDir, "toy", "masks", "test", "1-of-1.masks"),
    encodeObjectMaskFile(records(2, 3, 5), 5, 3, keys),
  );
  const entry = { objectMasks: { format: OBJECT_MASKS_FORMAT, dir: "masks" } };

  it("refuses masks written for other records, naming the file; reads the first format unchecked", async () => {
    const other = join(root, "other");
    mkdirSync(join(other, "toy", "test"), { recursive: true });
    mkdirSync(join(other, "toy", "masks", "test"), { recursive: true });
    const writer = await TFRecordWriter.open(join(other, "toy", "test", "1-of-1.tfrecord"));
    for (const data of [Uint8Array.of(1, 2, 3), Uint8Array.of(9, 9)]) await writer.write(data);
    await writer.close();
    const masksPath = join(other, "toy", "masks", "test", "1-of-1.masks");
    // The masks of the first dataset, copied over the second's.
    writeFileSync(masksPath, encodeObjectMaskFile(records(2, 3, 5), 5, 3, keys));
    const scene = { file: "toy/test/1-of-1.tfrecord", record: 0, views: [0, 2] };
    const masks = ObjectMasks.open(other, info(entry), "test") as ObjectMasks;
    await expect(masks.queryMasks([scene])).rejects.toThrow(
      /1 of its 2 records belong to other records than .*1-of-1\.tfrecord's \(the first: record 1\): these masks are not this dataset's/,
    );
    await masks.close();
    // GQNMASK1 (no keys): read as before.
    const v1 = Buffer.from(encodeObjectMaskFile(records(2, 3, 5), 5, 3, [0, 0]));
    const tableStart = 20;
    const unkeyed = Buffer.concat([
      Buffer.from("GQNMASK1"),
      v1.subarray(8, tableStart),
      v1.subarray(tableStart, tableStart + (2 * 2 + 1) * 4),
      v1.subarray(tableStart + (3 * 2 + 1) * 4),
    ]);
    // Its offsets move up by the keys' 8 bytes.
    for (let r = 0; r <= 2; r++)
      unkeyed.writeUInt32LE(unkeyed.readUInt32LE(tableStart + r * 4) - 8, tableStart + r * 4);
    writeFileSync(masksPath, unkeyed);
    const old = ObjectMasks.open(
      other,
      info({ objectMasks: { format: "gqn-object-masks/1", dir: "masks" } }),
      "test",
    ) as ObjectMasks;
    expect((await old.queryMasks([scene])).ids).toEqual(view(0, 2, 5).ids);
    await old.close();
  });

  it("is absent for a dataset.json without objectMasks, and refuses another format", () => {
    expect(ObjectMasks.open(dataDir, info({}), "test")).toBeUndefined();
    expect(() => ObjectMasks.open(dataDir, info({ objectMasks: { format: "x/9" } }), "test")).toThrow(
      /objectMasks as \{ format: "gqn-object-masks\/2", dir \}/,
    );
  });

  it("gives the query view's masks of each scene of a batch, resized by nearest neighbour", async () => {
    const masks = ObjectMasks.open(dataDir, info(entry), "test") as ObjectMasks;
    const scenes = [
      { file: "toy/test/1-of-1.tfrecord", record: 1, views: [0, 2] },
      { file: "toy/test/1-of-1.tfrecord", record: 0, views: [2, 1] },
    ];
    const { ids, behind } = await masks.queryMasks(scenes);
    expect(ids).toEqual(new Uint8Array([...view(1, 2, 5).ids, ...view(0, 1, 5).ids]));
    expect(behind[0]).toBeCloseTo(21 / 255, 6);
    expect(behind[25 * 3 + 1]).toBeCloseTo(11 / 255, 6); // scene 2, pixel 0: object 1 of view 1
    expect(behind[(25 + 5) * 3]).toBe(0); // scene 2, pixel 5: background
    await masks.close();

    const small = ObjectMasks.open(dataDir, info(entry), "test", { frameSize: 3 }) as ObjectMasks;
    const resized = await small.queryMasks([scenes[0]!]);
    // Rows and columns 0, 2, 4 of the 5x5 mask (object over pixels 0..8 of view 2 of record 1).
    const full = view(1, 2, 5).ids;
    expect(Array.from(resized.ids)).toEqual([0, 2, 4].flatMap((r) => [0, 2, 4].map((c) => full[r * 5 + c])));
    await small.close();
  });

  it("names the mask file when one is missing", async () => {
    const masks = ObjectMasks.open(dataDir, info(entry), "train") as ObjectMasks;
    await expect(
      masks.queryMasks([{ file: "toy/train/1-of-1.tfrecord", record: 0, views: [1] }]),
    ).rejects.toThrow(/toy\/masks\/train\/1-of-1\.masks is missing/);
    await masks.close();
  });
});
