// Bad scenes met by createSceneBatches: each gets an error naming the file, record index and byte offset,
// or in skip mode is reported while every intact scene still comes out.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSceneBatches, type SceneBatch } from "./create-scene-batches.js";
import { encodeExample } from "./example.js";
import { encodeJpeg } from "./jpeg.js";
import { encodeSceneRecord } from "./scene-record.js";
import { testScene } from "./test-datasets.js";
import { frameTFRecord } from "./tfrecord-framing.js";
import type { SkippedRecord } from "./tfrecord-parser.js";

const root = mkdtempSync(join(tmpdir(), "gqn-data-scene-errors-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const VIEWS = 3;
const SIZE = 8;
const good = (scene: number) => encodeSceneRecord(testScene(scene, VIEWS, SIZE));

function withFrame(scene: number, view: number, frame: Uint8Array): Uint8Array {
  const { frames, cameras } = testScene(scene, VIEWS, SIZE);
  frames[view] = frame;
  return encodeSceneRecord({ frames, cameras });
}

const validJpeg = testScene(0, 1, SIZE).frames[0] as Uint8Array;
const bad: [string, () => Uint8Array, RegExp][] = [
  [
    "an Example without frames",
    () => encodeExample({ cameras: { kind: "float", value: new Float32Array(VIEWS * 5) } }),
    /Example has no "frames" feature \(features: cameras\)/,
  ],
  [
    "an Example without cameras",
    () => encodeExample({ frames: { kind: "bytes", value: testScene(0, VIEWS, SIZE).frames } }),
    /Example has no "cameras" feature/,
  ],
  [
    "the wrong number of frames",
    () => encodeSceneRecord(testScene(0, VIEWS + 1, SIZE)),
    /expected 3 frames, but got 4/,
  ],
  [
    "the wrong number of cameras",
    () =>
      encodeExample({
        frames: { kind: "bytes", value: testScene(0, VIEWS, SIZE).frames },
        cameras: { kind: "float", value: new Float32Array(VIEWS * 5 - 1) },
      }),
    /expected 15 camera values \(5 per frame, 3 frames\), but got 14/,
  ],
  [
    "a frame that is not a JPEG",
    () => withFrame(0, 1, Uint8Array.of(0x89, 0x50, 0x4e, 0x47)),
    /frame 1 is not a JPEG/,
  ],
  [
    "a frame of the wrong size",
    () => withFrame(0, 2, encodeJpeg(new Uint8Array(16 * 12 * 3), 16, 12)),
    /frame 2 is 16x12, but the dataset's frames are 8x8/,
  ],
  [
    "a JPEG whose body does not decode",
    // The header (with its frame size) is intact, so only decoding finds it: the worker path.
    () =>
      encodeSceneRecord({
        frames: Array(VIEWS).fill(validJpeg.subarray(0, 200)),
        cameras: new Float32Array(15),
      }),
    /frame is not a decodable JPEG/,
  ],
];

let n = 0;
/** A one-file dataset: good scene 0, `record`, good scene 2. Returns its directory name and the bad record's offset. */
function dataset(record: Uint8Array): { name: string; path: string; offset: number } {
  const name = `set${n++}`;
  mkdirSync(join(root, name, "train"), { recursive: true });
  writeFileSync(
    join(root, name, "dataset.json"),
    JSON.stringify({ name, frameSize: SIZE, views: VIEWS, trainFiles: 1, testFiles: 0 }),
  );
  const parts = [good(0), record, good(2)].map((r) => frameTFRecord(r));
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const path = join(root, name, "train", "1-of-1.tfrecord");
  writeFileSync(path, bytes);
  return { name, path, offset: (parts[0] as Uint8Array).length };
}

async function drain(options: Parameters<typeof createSceneBatches>[0]): Promise<SceneBatch["scenes"]> {
  const scenes: SceneBatch["scenes"] = [];
  for await (const batch of createSceneBatches(options)) {
    scenes.push(...batch.scenes);
    batch.dispose();
  }
  return scenes;
}

describe("createSceneBatches on bad scenes", () => {
  for (const [what, make, reason] of bad) {
    it(`names the file, record and offset of ${what}; skip mode reports it and keeps the rest`, async () => {
      const { name, path, offset } = dataset(make());
      const options = {
        dataDir: root,
        dataset: name,
        batchSize: 1,
        contextSize: 2,
        shuffle: false,
        repeat: false,
        workers: 0,
      };
      const error = await drain(options).catch((e) => e);
      expect(error.code).toBe("CORRUPT_RECORD");
      expect(error.message).toMatch(reason);
      expect(error.message).toContain(`(in ${path}, record 1, at byte offset ${offset})`);
      const skipped: SkippedRecord[] = [];
      const scenes = await drain({ ...options, onCorrupt: "skip", onSkip: (s) => skipped.push(s) });
      expect(scenes.map((s) => s.record)).toEqual([0, 2]);
      expect(skipped.map((s) => [s.file, s.record, s.offset])).toEqual([[path, 1, offset]]);
      expect(skipped[0]?.reason).toMatch(reason);
    });
  }

  it("counts every skipped record (CRC, scene and decode failures together), warning by default", async () => {
    const { name } = dataset(bad[4]?.[1]() as Uint8Array);
    const warnings: string[] = [];
    const it = createSceneBatches({
      dataDir: root,
      dataset: name,
      batchSize: 2,
      shuffle: false,
      repeat: false,
      workers: 0,
      contextSize: 1,
      onCorrupt: "skip",
      warn: (m) => warnings.push(m),
    });
    let scenes = 0;
    for await (const batch of it) {
      scenes += batch.scenes.length;
      batch.dispose();
    }
    expect(scenes).toBe(2);
    expect(it.skipped).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/createSceneBatches: skipped .*frame 1 is not a JPEG .*record 1/);
  });
});
