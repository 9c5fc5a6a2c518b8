import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { datasetDepthRange, datasetFovDegrees, decodeSceneRecord, shardFileName } from "@gqn/data";
import { decodeJpeg, encodeJpeg, listDatasetFiles, readDatasetInfo, readTFRecords } from "@gqn/data/node";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderView } from "./render-scene.js";
import { runSynthCli } from "./run-synth-cli.js";
import { planSyntheticDataset, writeSyntheticDataset } from "./write-synthetic-dataset.js";

let root: string;
let workerUrl: URL;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "gqn-scenes-test-"));
  // Workers cannot run TypeScript: bundle the worker entry from sources, as the build does.
  const outfile = join(root, "synth-worker.mjs");
  await build({
    entryPoints: [new URL("./synth-worker.ts", import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    conditions: ["@gqn/source"],
    outfile,
    logLevel: "error",
    plugins: [
      {
        // @gqn/* sources are bundled; third-party packages stay external, imported by absolute path
        // (the bundle lives outside the workspace, where bare names would not resolve).
        name: "absolute-externals",
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.path.startsWith("@gqn/") || args.path.startsWith("node:") || args.pluginData)
              return undefined;
            const resolved = await plugin.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: true,
            });
            return resolved.errors.length > 0 ? undefined : { path: resolved.path, external: true };
          });
        },
      },
    ],
  });
  workerUrl = pathToFileURL(outfile);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function readRecords(path: string) {
  const records = [];
  for await (const bytes of readTFRecords(path)) records.push(decodeSceneRecord(bytes));
  return records;
}

const rgbOf = (jpeg: Uint8Array): Uint8Array => decodeJpeg(jpeg).data;
const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number =>
  a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;

describe("planSyntheticDataset", () => {
  it("names files as @gqn/data expects them: <i>-of-<n>, both padded to the digits of n", () => {
    const { info, tasks } = planSyntheticDataset({
      out: "/data",
      scene: "shepard_metzler_7_parts",
      trainScenes: 1000,
      testScenes: 100,
      scenesPerFile: 10,
    });
    const relative = (split: string) =>
      tasks.filter((t) => t.split === split).map((t) => t.path.slice("/data/".length));
    const expected = (split: string, files: number) =>
      Array.from({ length: files }, (_, i) => `${info.name}/${split}/${shardFileName(i + 1, files)}`);
    expect(relative("train")).toEqual(expected("train", info.trainFiles));
    expect(relative("test")).toEqual(expected("test", info.testFiles));
    expect(relative("train")[6]).toBe("shepard_metzler_7_parts/train/007-of-100.tfrecord");
    expect(relative("test")[9]).toBe("shepard_metzler_7_parts/test/10-of-10.tfrecord");
  });

  it("splits scenes into files of scenesPerFile, the last one shorter", () => {
    const { info, tasks } = planSyntheticDataset({
      out: "/data",
      scene: "rooms_ring_camera",
      trainScenes: 25,
      testScenes: 10,
      scenesPerFile: 10,
      frameSize: 32,
    });
    expect(tasks.map((t) => [t.path, t.firstScene, t.sceneCount])).toEqual([
      [join("/data/rooms_ring_camera/train/1-of-3.tfrecord"), 0, 10],
      [join("/data/rooms_ring_camera/train/2-of-3.tfrecord"), 10, 10],
      [join("/data/rooms_ring_camera/train/3-of-3.tfrecord"), 20, 5],
      [join("/data/rooms_ring_camera/test/1-of-1.tfrecord"), 0, 10],
    ]);
    expect(info).toMatchObject({
      name: "rooms_ring_camera",
      views: 10,
      frameSize: 32,
      trainFiles: 3,
      testFiles: 1,
      // The rooms config's fov (60 degrees) and its depth range (ROOMS_DEFAULTS: ring of radius 3,
      // walls at +-3.5, 2.5 high, cameras 1 high: far = hypot(3.5 sqrt(2) + 3, 1.5) = 8.0900...).
      fovDegrees: 60,
      depthRange: [0.1, 8.091],
    });
    expect(() => planSyntheticDataset({ out: "/d", scene: "mazes" as never, trainScenes: 1 })).toThrow(
      /scene must be one of/,
    );
    expect(() => planSyntheticDataset({ out: "/d", scene: "rooms_ring_camera", trainScenes: 0 })).toThrow(
      /trainScenes must be a positive integer, but got 0/,
    );
    expect(() =>
      planSyntheticDataset({ out: "/d", scene: "rooms_ring_camera", trainScenes: 1, jpegQuality: 101 }),
    ).toThrow(/jpegQuality must be an integer in \[1, 100\], but got 101/);
  });

  it("rejects a bad worker count before writing anything", async () => {
    const out = join(root, "bad-workers");
    await expect(
      writeSyntheticDataset({ out, scene: "rooms_ring_camera", trainScenes: 1, workers: -1 }),
    ).rejects.toThrow("writeSyntheticDataset: workers must be a non-negative integer, but got -1.");
    expect(existsSync(out)).toBe(false);
  });
});

describe("writeSyntheticDataset", () => {
  it("writes records that @gqn/data reads back: views, frame size, cameras, dataset.json", async () => {
    const out = join(root, "inline");
    const info = await writeSyntheticDataset({
      out,
      scene: "shepard_metzler_5_parts",
      trainScenes: 5,
      testScenes: 2,
      frameSize: 32,
      scenesPerFile: 2,
      seed: 3,
      workers: 0,
    });
    const dir = join(out, "shepard_metzler_5_parts");
    expect(readdirSync(join(dir, "train")).sort()).toEqual([
      "1-of-3.tfrecord",
      "2-of-3.tfrecord",
      "3-of-3.tfrecord",
    ]);
    expect(readdirSync(join(dir, "test"))).toEqual(["1-of-1.tfrecord"]);
    const json = JSON.parse(readFileSync(join(dir, "dataset.json"), "utf8"));
    expect(json).toEqual(info);
    expect(json).toMatchObject({
      name: "shepard_metzler_5_parts",
      frameSize: 32,
      views: 15,
      trainFiles: 3,
      testFiles: 1,
      trainScenes: 5,
      testScenes: 2,
      synthetic: true,
      seed: 3,
      generator: "@gqn/scenes",
      // SHEPARD_METZLER_DEFAULTS' fov, and cameras at 2 around an object within
      // 0.25 (4 + sqrt(3)) / 2 = 0.717 of the origin.
      fovDegrees: 35,
      depthRange: [1.283, 2.717],
    });
    // @gqn/data's reader takes the frame size and file counts from dataset.json and finds every file.
    const read = await readDatasetInfo(out, "shepard_metzler_5_parts");
    expect(read).toMatchObject({ frameSize: 32, views: 15, trainFiles: 3, testFiles: 1, synthetic: true });
    // ...and the cameras' optics, in place of the published set's assumed ones.
    expect(datasetFovDegrees(read)).toBe(35);
    expect(datasetDepthRange(read)).toEqual([1.283, 2.717]);
    expect(await listDatasetFiles(out, read, "train")).toEqual(
      ["1-of-3", "2-of-3", "3-of-3"].map((f) => join(dir, "train", `${f}.tfrecord`)),
    );
    expect(await listDatasetFiles(out, read, "test")).toEqual([join(dir, "test", "1-of-1.tfrecord")]);

    const counts = [];
    for (const file of ["1-of-3", "2-of-3", "3-of-3"]) {
      const records = await readRecords(join(dir, "train", `${file}.tfrecord`));
      counts.push(records.length);
      for (const record of records) {
        expect(record.frames).toHaveLength(15);
        expect(record.cameras).toHaveLength(15 * 5);
        const frame = decodeJpeg(record.frames[0]!);
        expect([frame.width, frame.height]).toEqual([32, 32]);
      }
    }
    expect(counts).toEqual([2, 2, 1]);

    // Asked again with the same settings, it finds everything complete and renders nothing.
    const reports: number[] = [];
    const before = readFileSync(join(dir, "train", "2-of-3.tfrecord"));
    await writeSyntheticDataset({
      out,
      scene: "shepard_metzler_5_parts",
      trainScenes: 5,
      testScenes: 2,
      frameSize: 32,
      scenesPerFile: 2,
      seed: 3,
      workers: 2,
      workerUrl,
      onProgress: (p) => reports.push(p.filesDone),
    });
    expect(reports).toEqual([4]);
    expect(readFileSync(join(dir, "train", "2-of-3.tfrecord")).equals(before)).toBe(true);
  });

  it("stores frames that re-render from their stored cameras (pose consistency)", async () => {
    const out = join(root, "inline");
    const records = await readRecords(join(out, "shepard_metzler_5_parts", "train", "2-of-3.tfrecord"));
    // The file's first record is train scene 2 (scenesPerFile 2) of the dataset made with seed 3.
    const { scene } = generateScene("shepard_metzler_5_parts", sceneSeed(3, "train", 2));
    const record = records[0]!;
    for (let view = 0; view < 15; view++) {
      const camera = record.cameras.subarray(view * 5, view * 5 + 5);
      const again = renderView(scene, camera, { frameSize: 32 });
      // The same pixels, so the same JPEG bytes; decoded, within JPEG loss of the raw render.
      expect(encodeJpeg(again, 32, 32, 90)).toEqual(record.frames[view]);
      expect(meanAbsDiff(rgbOf(record.frames[view]!), again)).toBeLessThan(4);
      // Another view's camera gives another picture.
      const other = record.cameras.subarray(((view + 1) % 15) * 5, ((view + 1) % 15) * 5 + 5);
      expect(
        meanAbsDiff(rgbOf(record.frames[view]!), renderView(scene, other, { frameSize: 32 })),
      ).toBeGreaterThan(4);
    }
  });

  it("writes the same bytes with worker threads as on one thread, and other bytes for another seed", async () => {
    const options = {
      scene: "rooms_ring_camera",
      trainScenes: 6,
      testScenes: 2,
      frameSize: 16,
      scenesPerFile: 2,
      seed: 9,
    } as const;
    const one = join(root, "one");
    const single = join(root, "single");
    const two = join(root, "two");
    const other = join(root, "other");
    const progress: number[] = [];
    await writeSyntheticDataset({ ...options, out: one, workers: 0 });
    await writeSyntheticDataset({ ...options, out: single, workers: 1, workerUrl });
    await writeSyntheticDataset({
      ...options,
      out: two,
      workers: 2,
      workerUrl,
      onProgress: (p) => progress.push(p.scenesDone),
    });
    await writeSyntheticDataset({ ...options, seed: 10, out: other, workers: 0 });
    expect(progress[progress.length - 1]).toBe(8);
    for (const file of ["train/1-of-3.tfrecord", "train/3-of-3.tfrecord", "test/1-of-1.tfrecord"]) {
      const a = readFileSync(join(one, "rooms_ring_camera", file));
      expect(readFileSync(join(single, "rooms_ring_camera", file)).equals(a)).toBe(true);
      expect(readFileSync(join(two, "rooms_ring_camera", file)).equals(a)).toBe(true);
      expect(readFileSync(join(other, "rooms_ring_camera", file)).equals(a)).toBe(false);
    }
  });

  it("on abort, stops the workers and leaves no partial file under a final name nor a temporary file", async () => {
    const out = join(root, "aborted");
    const controller = new AbortController();
    const promise = writeSyntheticDataset({
      out,
      scene: "shepard_metzler_7_parts",
      trainScenes: 40,
      frameSize: 16,
      scenesPerFile: 10,
      workers: 2,
      workerUrl,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.scenesDone === 3) controller.abort(new Error("stop"));
      },
    });
    await expect(promise).rejects.toThrow("stop");
    const dir = join(out, "shepard_metzler_7_parts", "train");
    const left = readdirSync(dir);
    expect(left.filter((name) => !/^\d+-of-\d+\.tfrecord$/.test(name))).toEqual([]);
    for (const name of left) expect(await readRecords(join(dir, name))).toHaveLength(10);

    // A rerun keeps what is complete and finishes the rest.
    let first: number | undefined;
    await writeSyntheticDataset({
      out,
      scene: "shepard_metzler_7_parts",
      trainScenes: 40,
      frameSize: 16,
      scenesPerFile: 10,
      workers: 0,
      onProgress: (p) => {
        first ??= p.filesDone;
      },
    });
    expect(first).toBe(left.length);
    expect(readdirSync(dir).sort()).toEqual([
      "1-of-4.tfrecord",
      "2-of-4.tfrecord",
      "3-of-4.tfrecord",
      "4-of-4.tfrecord",
    ]);
  });

  it("fails cleanly when the worker script is missing or its workers fail", async () => {
    const out = join(root, "bad-worker");
    const base = { out, scene: "rooms_ring_camera", trainScenes: 4, frameSize: 8, scenesPerFile: 1 } as const;
    await expect(
      writeSyntheticDataset({ ...base, workers: 2, workerUrl: join(root, "no-such-worker.mjs") }),
    ).rejects.toThrow(/cannot find the worker script \(looked for .*no-such-worker\.mjs\)/);
    expect(existsSync(out)).toBe(false);
    const failing = join(root, "failing-worker.mjs");
    writeFileSync(failing, 'throw new Error("worker failed to start");\n');
    await expect(writeSyntheticDataset({ ...base, workers: 2, workerUrl: failing })).rejects.toThrow(
      "worker failed to start",
    );
    expect(readdirSync(join(out, "rooms_ring_camera", "train"))).toEqual([]);
  });

  it("refuses its own dataset of other settings unless overwrite, refuses foreign TFRecords and reports I/O errors", async () => {
    const out = join(root, "replace");
    const base = { out, scene: "shepard_metzler_5_parts", frameSize: 8, workers: 0 } as const;
    await writeSyntheticDataset({ ...base, trainScenes: 3, scenesPerFile: 1 });
    const dir = join(out, "shepard_metzler_5_parts");
    const before = readdirSync(join(dir, "train")).map((name) => readFileSync(join(dir, "train", name)));
    const infoBefore = readFileSync(join(dir, "dataset.json"), "utf8");
    await expect(
      writeSyntheticDataset({ ...base, trainScenes: 3, scenesPerFile: 2, seed: 4 }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(
        /holds a dataset written with other settings \(trainFiles 3 here, 2 asked; seed 0 here, 4 asked; scenesPerFile 1 here, 2 asked\); replacing it needs overwrite/,
      ),
    });
    // Refused before anything was touched.
    expect(readFileSync(join(dir, "dataset.json"), "utf8")).toBe(infoBefore);
    expect(readdirSync(join(dir, "train")).map((name) => readFileSync(join(dir, "train", name)))).toEqual(
      before,
    );
    await writeSyntheticDataset({ ...base, trainScenes: 3, scenesPerFile: 2, overwrite: true });
    expect(readdirSync(join(out, "shepard_metzler_5_parts", "train")).sort()).toEqual([
      "1-of-2.tfrecord",
      "2-of-2.tfrecord",
    ]);
    const file = join(root, "a-file");
    writeFileSync(file, "");
    await expect(writeSyntheticDataset({ ...base, out: file, trainScenes: 1 })).rejects.toMatchObject({
      code: "IO_ERROR",
      message: expect.stringMatching(
        /^writeSyntheticDataset: cannot prepare .*a-file.shepard_metzler_5_parts: /,
      ),
    });
    // A billion one-scene files would be a billion tasks: refused before any is planned.
    await expect(
      writeSyntheticDataset({ ...base, trainScenes: 1e9, scenesPerFile: 1, overwrite: true }),
    ).rejects.toThrow(
      /1000000000 train scenes at 1 per file make 1000000000 files, more than 100000; raise scenesPerFile/,
    );
    rmSync(join(out, "shepard_metzler_5_parts", "dataset.json"));
    await expect(writeSyntheticDataset({ ...base, trainScenes: 3 })).rejects.toThrow(/did not write/);
  });
});

describe("runSynthCli", () => {
  const sigintListeners = process.listenerCount("SIGINT");
  const io = () => {
    const text = { out: "", err: "" };
    return {
      text,
      io: {
        stdout: { write: (s: string) => (text.out += s) },
        stderr: { write: (s: string) => (text.err += s) },
      },
    };
  };

  it("writes a dataset and reports it", async () => {
    const { text, io: streams } = io();
    const out = join(root, "cli");
    const code = await runSynthCli(
      ["--scene", "rooms_ring_camera", "--out", out, "--train-scenes", "3", "--test-scenes", "1"].concat([
        "--frame-size",
        "16",
        "--scenes-per-file",
        "2",
        "--seed",
        "5",
        "--workers",
        "0",
      ]),
      streams,
    );
    expect(code).toBe(0);
    expect(text.out).toMatch(
      /rooms_ring_camera: 4 scenes \(2 train \+ 1 test files, 16 px, 10 views, object masks\)/,
    );
    expect(existsSync(join(out, "rooms_ring_camera", "train", "2-of-2.tfrecord"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "rooms_ring_camera", "dataset.json"), "utf8")).seed).toBe(5);
  });

  it("answers bad usage with exit code 2 and a message, and --help with 0", async () => {
    const bad = io();
    expect(await runSynthCli(["--scene", "mazes", "--out", root, "--train-scenes", "1"], bad.io)).toBe(2);
    expect(bad.text.err).toMatch(/Allowed choices are shepard_metzler_5_parts/);
    const missing = io();
    expect(await runSynthCli(["--scene", "rooms_ring_camera", "--out", root], missing.io)).toBe(2);
    expect(missing.text.err).toMatch(/--train-scenes/);
    const range = io();
    expect(
      await runSynthCli(
        ["--scene", "rooms_ring_camera", "--out", root, "--train-scenes", "1", "--quality", "0"],
        range.io,
      ),
    ).toBe(2);
    expect(range.text.err).toMatch(/--quality <q>.*expected an integer in \[1, 100\]/);
    const notNumber = io();
    expect(
      await runSynthCli(
        ["--scene", "rooms_ring_camera", "--out", root, "--train-scenes", "ten"],
        notNumber.io,
      ),
    ).toBe(2);
    expect(notNumber.text.err).toMatch(/--train-scenes <n>.*expected an integer >= 1/);
    const help = io();
    expect(await runSynthCli(["--help"], help.io)).toBe(0);
    expect(help.text.out).toMatch(/--scenes-per-file/);
  });

  it("on Ctrl-C (SIGINT) stops, exits 130, and leaves only complete files", async () => {
    const out = join(root, "cli-interrupted");
    const text = { out: "", err: "" };
    let signalled = false;
    const code = await runSynthCli(
      ["--scene", "shepard_metzler_7_parts", "--out", out, "--train-scenes", "400"].concat([
        "--frame-size",
        "32",
        "--scenes-per-file",
        "10",
        "--workers",
        "2",
      ]),
      {
        stdout: { write: (s: string) => (text.out += s) },
        stderr: {
          write: (s: string) => {
            text.err += s;
            // The first progress line after a finished file: interrupt as a terminal's Ctrl-C would.
            if (!signalled && /files [1-9]/.test(s)) {
              signalled = true;
              process.emit("SIGINT", "SIGINT");
            }
            return true;
          },
        },
        workerUrl,
      },
    );
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    expect(text.err).toMatch(/Interrupted: unfinished files were removed/);
    const dir = join(out, "shepard_metzler_7_parts", "train");
    const left = readdirSync(dir);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(40);
    expect(left.filter((name) => !/^\d+-of-\d+\.tfrecord$/.test(name))).toEqual([]);
    for (const name of left) expect(await readRecords(join(dir, name))).toHaveLength(10);
    expect(process.listenerCount("SIGINT")).toBe(sigintListeners);
  });
});
