import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transformer } from "@napi-rs/image";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crc32c, maskCrc } from "./crc32c.js";
import { encodeObjectMaskFile, OBJECT_MASKS_FORMAT, objectMaskFileName } from "./object-masks.js";
import { cameraToPose } from "./pose.js";
import { readTFRecordEntries } from "./read-tfrecords.js";
import { runDataCli } from "./run-data-cli.js";
import { frameColour, testCamera, writeTestDataset } from "./test-datasets.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-cli-"));
let files: { train: string[]; test: string[] };
beforeAll(async () => {
  files = await writeTestDataset({
    dataDir: root,
    name: "tiny",
    frameSize: 8,
    views: 3,
    train: [2, 3],
    test: [1],
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runDataCli(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

describe("gqn-data", () => {
  it("inspect summarises each file of a directory, and --json gives one object per record", async () => {
    const summary = await cli("inspect", join(root, "tiny"));
    expect(summary.code).toBe(0);
    expect(summary.out.trim().split("\n")).toEqual([
      `${files.test[0]}: 1 records, views 3, frames 8x8, cameras 15, corrupt 0`,
      `${files.train[0]}: 2 records, views 3, frames 8x8, cameras 15, corrupt 0`,
      `${files.train[1]}: 3 records, views 3, frames 8x8, cameras 15, corrupt 0`,
    ]);
    const json = await cli("inspect", files.train[1] as string, "--json");
    const lines = json.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const first = lines[1];
    expect(first).toMatchObject({ file: files.train[1], record: 1, views: 3, frameSize: [8, 8] });
    // Scenes are numbered across files: the second train file starts at scene 2.
    expect(first.cameras.slice(5, 10)).toEqual(Array.from(new Float32Array(testCamera(3, 1))));
    expect(first.poses.slice(7, 14)).toEqual(Array.from(cameraToPose(testCamera(3, 1))));
  });

  it("inspect and verify report corrupt records with exit code 1", async () => {
    const bad = join(root, "bad.tfrecord");
    const bytes = new Uint8Array(readFileSync(files.train[1] as string));
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 1; // last record's data CRC
    writeFileSync(bad, bytes);
    const inspected = await cli("inspect", bad);
    expect(inspected.code).toBe(1);
    expect(inspected.out).toContain("3 records, views 3, frames 8x8, cameras 15, corrupt 1");
    expect(inspected.err).toMatch(/^corrupt: .*data CRC mismatch .*record 2, at byte offset \d+\)/);
    const verified = await cli("verify", bad);
    expect(verified.code).toBe(1);
    expect(verified.out).toMatch(/^CORRUPT: 1 files, 2 records intact, 1 corrupt/);
    const clean = await cli("verify", join(root, "tiny"));
    expect(clean).toMatchObject({ code: 0, err: "" });
    expect(clean.out).toMatch(/^ok: 3 files, 6 records intact, 0 corrupt/);
    rmSync(bad);
  });

  it("export writes the frames as PNGs and the cameras and poses as JSON", async () => {
    const out = join(root, "export");
    const result = await cli("export", files.train[0] as string, "--record", "1", "--out", out);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["cameras.json", "view-00.png", "view-01.png", "view-02.png"]);
    const png = new Uint8Array(readFileSync(join(out, "view-02.png")));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    const cameras = JSON.parse(readFileSync(join(out, "cameras.json"), "utf8"));
    expect(cameras.cameras[2]).toEqual(Array.from(new Float32Array(testCamera(1, 2))));
    expect(cameras.poses[2]).toEqual(Array.from(cameraToPose(testCamera(1, 2))));
    // The PNG holds the decoded frame: scene 1, view 2's colour.
    const pixels = new Transformer(png).rawPixelsSync();
    const [r, g, b] = frameColour(1, 2);
    expect(Math.abs((pixels[0] as number) - r)).toBeLessThan(3);
    expect(Math.abs((pixels[1] as number) - g)).toBeLessThan(3);
    expect(Math.abs((pixels[2] as number) - b)).toBeLessThan(3);
    const missing = await cli("export", files.train[0] as string, "--record", "7", "--out", out);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(
      `gqn-data export: --record must be in [0, 2) for ${files.train[0]}, but got 7.\n`,
    );
  });

  it("answers bad usage with a one-line error and exit code 2, missing files with code 1", async () => {
    const flag = await cli("verify", root, "--frobnicate");
    expect(flag.code).toBe(2);
    expect(flag.err).toBe("error: unknown option '--frobnicate'\n");
    const record = await cli("export", files.train[0] as string, "--record", "x", "--out", root);
    expect(record.code).toBe(2);
    expect(record.err).toMatch(
      /^error: option '--record <n>' argument 'x' is invalid. expected an integer >= 0.\n$/,
    );
    const missing = await cli("inspect", join(root, "nowhere"));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^gqn-data: cannot read .*nowhere: ENOENT.*\n$/);
    expect(missing.err.split("\n")).toHaveLength(2);
    const debug = await cli("inspect", join(root, "nowhere"), "--debug");
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it("answers --version, names the flag for the seed's spellings, and ends quietly on a closed pipe", async () => {
    const version = await cli("--version");
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const seed = await cli("export", files.train[0] as string, "--record", "0", "--out_dir", "x");
    expect(seed.code).toBe(2);
    expect(seed.err).toMatch(/^error: unknown option '--out_dir'/);
    // The built command, its stdout closed after the first bytes (`| head -c 10`).
    const { spawn } = await import("node:child_process");
    const bin = new URL("../bin/gqn-data.mjs", import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, "inspect", "--json", root], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("gqn-data verify: a dataset with a dataset.json is complete", () => {
  /** A copy of the tiny dataset, changed by `damage`, verified whole. */
  async function verifyCopy(name: string, damage: (dir: string) => void, ...flags: string[]) {
    const dataDir = join(root, `copy-${name}`);
    cpSync(join(root, "tiny"), join(dataDir, "tiny"), { recursive: true });
    damage(join(dataDir, "tiny"));
    return cli("verify", join(dataDir, "tiny"), "--quiet", ...flags);
  }

  it("a missing split, missing shards and shards not named as dataset.json declares fail it", async () => {
    const noTrain = await verifyCopy("no-train", (dir) => rmSync(join(dir, "train"), { recursive: true }));
    expect(noTrain.code).toBe(1);
    expect(noTrain.out).toMatch(/^CORRUPT: 1 files, 1 records intact, 0 corrupt, 1 other problems/);
    expect(noTrain.err).toBe(
      `files: tiny (train) declares 2 shards in dataset.json (1-of-2.tfrecord...), but ${join(root, "copy-no-train", "tiny", "train")} holds 0 of them; missing: 1-of-2.tfrecord, 2-of-2.tfrecord\n`,
    );
    const noTest = await verifyCopy("no-test", (dir) => rmSync(join(dir, "test"), { recursive: true }));
    expect(noTest.code).toBe(1);
    expect(noTest.err).toMatch(
      /^files: tiny \(test\) declares 1 shards .* holds 0 of them; missing: 1-of-1\.tfrecord\n$/,
    );
    const misnamed = await verifyCopy("misnamed", (dir) => {
      renameSync(join(dir, "train", "1-of-2.tfrecord"), join(dir, "train", "1-of-4.tfrecord"));
      renameSync(join(dir, "train", "2-of-2.tfrecord"), join(dir, "train", "2-of-4.tfrecord"));
    });
    expect(misnamed.code).toBe(1);
    expect(misnamed.err).toMatch(
      /^files: tiny \(train\) declares 2 shards .* holds 0 of them; missing: 1-of-2\.tfrecord, 2-of-2\.tfrecord; not named as its shards: 1-of-4\.tfrecord, 2-of-4\.tfrecord\n$/,
    );
  });

  it("a record count that differs from dataset.json's fails it, for a split not read too", async () => {
    const counted = await verifyCopy("counts", (dir) => {
      const info = JSON.parse(readFileSync(join(dir, "dataset.json"), "utf8"));
      writeFileSync(join(dir, "dataset.json"), JSON.stringify({ ...info, trainScenes: 5, testScenes: 2 }));
      rmSync(join(dir, "test", "1-of-1.tfrecord"));
    });
    expect(counted.code).toBe(1);
    expect(counted.err).toContain(
      "count: tiny (test) declares 2 records in dataset.json, but its 0 files read in",
    );
    expect(counted.err).not.toContain("count: tiny (train)");
  });

  it("--decode blames dataset.json once when it disagrees with every record", async () => {
    for (const [field, value, seen] of [
      ["views", 5, "3"],
      ["frameSize", 16, "8x8"],
    ] as const) {
      const lying = await verifyCopy(
        `lie-${field}`,
        (dir) => {
          const info = JSON.parse(readFileSync(join(dir, "dataset.json"), "utf8"));
          writeFileSync(join(dir, "dataset.json"), JSON.stringify({ ...info, [field]: value }));
        },
        "--decode",
      );
      expect(lying.code).toBe(1);
      expect(lying.out).toMatch(
        /^CORRUPT: 3 files, 6 records intact, 0 corrupt \(every frame decoded\), 1 other problems/,
      );
      expect(lying.err).toBe(
        `dataset.json: ${join(root, `copy-lie-${field}`, "tiny", "dataset.json")} declares ${field} ${value}, but all 6 records read have ${seen}: dataset.json is wrong (fix it), not the records\n`,
      );
    }
  });

  it("dataset.json must be readable: an invalid one fails it, naming the file", async () => {
    const broken = await verifyCopy("bad-json", (dir) => {
      writeFileSync(join(dir, "dataset.json"), "{ not json");
      rmSync(join(dir, "train", "2-of-2.tfrecord"));
    });
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^dataset\.json: readDatasetInfo: .*dataset\.json is not valid JSON/m);
  });
});

describe("gqn-data verify: object masks", () => {
  /** A copy of the tiny dataset with masks for every record, keyed to the records; then `damage`. */
  async function verifyMasks(name: string, damage: (dir: string) => void) {
    const dir = join(root, `masks-${name}`, "tiny");
    cpSync(join(root, "tiny"), dir, { recursive: true });
    const info = JSON.parse(readFileSync(join(dir, "dataset.json"), "utf8"));
    writeFileSync(
      join(dir, "dataset.json"),
      JSON.stringify({ ...info, objectMasks: { format: OBJECT_MASKS_FORMAT, dir: "masks" } }),
    );
    for (const split of ["train", "test"]) {
      mkdirSync(join(dir, "masks", split), { recursive: true });
      for (const file of readdirSync(join(dir, split))) {
        const keys: number[] = [];
        for await (const entry of readTFRecordEntries(join(dir, split, file)))
          keys.push(maskCrc(crc32c(entry.data)));
        const views = Array.from({ length: 3 }, () => ({
          ids: new Uint8Array(64),
          behind: new Uint8Array(192),
        }));
        const masks = encodeObjectMaskFile(
          keys.map(() => views),
          8,
          3,
          keys,
        );
        writeFileSync(join(dir, "masks", split, objectMaskFileName(file)), masks);
      }
    }
    damage(dir);
    return cli("verify", dir, "--quiet");
  }

  it("passes intact masks, and fails missing, damaged, short and other records' masks, naming the file", async () => {
    expect((await verifyMasks("intact", () => {})).code).toBe(0);
    const masksOf = (dir: string) => join(dir, "masks", "train", "2-of-2.masks");
    const cases: [string, (dir: string) => void, RegExp][] = [
      ["missing", (dir) => rmSync(masksOf(dir)), /^masks: .*2-of-2\.masks is missing/m],
      [
        "empty",
        (dir) => writeFileSync(masksOf(dir), ""),
        /^masks: .*not an object mask file.*2-of-2\.masks/m,
      ],
      [
        "truncated",
        (dir) => writeFileSync(masksOf(dir), readFileSync(masksOf(dir)).subarray(0, -5)),
        /^masks: .*\(truncated or overwritten\).*2-of-2\.masks/m,
      ],
      [
        "crc",
        (dir) => {
          const bytes = readFileSync(masksOf(dir));
          bytes[bytes.length - 3]! ^= 0x10;
          writeFileSync(masksOf(dir), bytes);
        },
        /^masks: .*(CRC32C mismatch|do not inflate).*2-of-2\.masks, record 2/m,
      ],
      [
        "other-records",
        (dir) => writeFileSync(masksOf(dir), readFileSync(join(dir, "masks", "train", "1-of-2.masks"))),
        /^masks: .*belong to other records|^masks: .*holds masks of 2 records, but .*2-of-2\.tfrecord holds 3/m,
      ],
    ];
    for (const [name, damage, expected] of cases) {
      const result = await verifyMasks(name, damage);
      expect(result.code, name).toBe(1);
      expect(result.out, name).toMatch(/^CORRUPT: /);
      expect(result.err, name).toMatch(expected);
    }
  });
});
