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
    await expect(readDatasetInfo(root, "bad")).rejects.toThrow(/views as a positive integer, but got 0/);
  });

  it("says which dataset, how many files expected and found; allowPartial reads the rest with a warning", async () => {
    const err = await listDatasetFiles(root, info, "train").catch((e) => e);
    expect(err.code).toBe("MISSING_FILES");
    expect(err.message).toMatch(/dataset "tiny" \(train\) expects 3 files .* but found 2 in/);
    const warnings: string[] = [];
    const files = await listDatasetFiles(root, info, "train", {
      allowPartial: true,
      warn: (m) => warnings.push(m),
    });
    expect(files).toEqual([
      join(root, "tiny/train/1-of-3.tfrecord"),
      join(root, "tiny/train/3-of-3.tfrecord"),
    ]);
    expect(warnings[0]).toMatch(/reading the 2 present/);
    await expect(listDatasetFiles(root, info, "test", { allowPartial: true })).rejects.toThrow(
      /expects 1 files .* but found 0/,
    );
  });
});
