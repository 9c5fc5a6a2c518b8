import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listDatasetFiles, readDatasetInfo } from "./dataset-files.js";
import { DATASETS, datasetFileNames, getDatasetSpec, shardFileName } from "./datasets.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("dataset specs and paths", () => {
  it("know the seven published datasets", () => {
    expect(Object.keys(DATASETS)).toHaveLength(7);
    expect(getDatasetSpec("mazes")).toMatchObject({
      frameSize: 84,
      views: 300,
      trainFiles: 1080,
      testFiles: 120,
    });
    expect(() => getDatasetSpec("nope")).toThrow(/unknown dataset "nope"; known datasets: jaco/);
  });

  it("name shards as the published sets do", () => {
    expect(shardFileName(1, 2160)).toBe("0001-of-2160.tfrecord");
    expect(shardFileName(7, 100)).toBe("007-of-100.tfrecord");
    const names = datasetFileNames(getDatasetSpec("shepard_metzler_5_parts"), "test");
    expect(names).toHaveLength(100);
    expect(names[0]).toBe("shepard_metzler_5_parts/test/001-of-100.tfrecord");
  });
});

describe("readDatasetInfo and listDatasetFiles", () => {
  const info = {
    name: "tiny",
    frameSize: 16,
    views: 4,
    trainFiles: 3,
    testFiles: 1,
    synthetic: true as const,
  };
  mkdirSync(join(root, "tiny", "train"), { recursive: true });
  writeFileSync(join(root, "tiny", "dataset.json"), JSON.stringify(info));
  for (const name of ["1-of-3.tfrecord", "3-of-3.tfrecord", "notes.txt"])
    writeFileSync(join(root, "tiny", "train", name), "");

  it("reads dataset.json over the published spec, and the spec alone", async () => {
    expect(await readDatasetInfo(root, "tiny")).toEqual(info);
    expect(await readDatasetInfo(root, "jaco")).toEqual(DATASETS.jaco);
    await expect(readDatasetInfo(root, "other")).rejects.toThrow(/unknown dataset "other"/);
    mkdirSync(join(root, "bad"));
    writeFileSync(join(root, "bad", "dataset.json"), JSON.stringify({ ...info, name: "bad", views: 0 }));
    await expect(readDatasetInfo(root, "bad")).rejects.toThrow(
      /dataset.json: views must be an integer in \[1, 10000\], but got 0/,
    );
    // Sizes that would be allocated from are bounded before anything is (not a heap-limit crash).
    writeFileSync(
      join(root, "bad", "dataset.json"),
      JSON.stringify({ ...info, name: "bad", trainFiles: 2e9 }),
    );
    await expect(readDatasetInfo(root, "bad")).rejects.toThrow(
      /dataset.json: trainFiles must be an integer in \[1, 1000000\], but got 2000000000/,
    );
  });

  it("names a split that the dataset does not have", async () => {
    await expect(listDatasetFiles(root, { ...info, testFiles: 0 }, "test")).rejects.toThrow(
      /dataset "tiny" has no test split \(its dataset.json declares testFiles 0\)/,
    );
  });

  it("reads a partial download with a note; requireAllShards refuses it; misnamed files are named", async () => {
    writeFileSync(join(root, "tiny", "train", "2-of-3.tfrecord.bak.tfrecord"), "");
    const notes: string[] = [];
    const files = await listDatasetFiles(root, info, "train", { warn: (m) => notes.push(m) });
    expect(files).toEqual([
      join(root, "tiny/train/1-of-3.tfrecord"),
      join(root, "tiny/train/3-of-3.tfrecord"),
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^using 2 of 3 train shards of "tiny" in .* \(a partial download\); 1 file\(s\) there are not named as its shards: 2-of-3\.tfrecord\.bak\.tfrecord\.$/,
    );
    const strict = await listDatasetFiles(root, info, "train", { requireAllShards: true }).catch((e) => e);
    expect(strict.code).toBe("MISSING_FILES");
    expect(strict.message).toMatch(
      /dataset "tiny" \(train\) has 3 shards named like 1-of-3\.tfrecord, but 2 are in .*Download the rest/,
    );
    // None present is an error either way.
    await expect(listDatasetFiles(root, info, "test")).rejects.toThrow(/has 1 shards .* but 0 are in/);
    rmSync(join(root, "tiny", "train", "2-of-3.tfrecord.bak.tfrecord"));
  });
});
