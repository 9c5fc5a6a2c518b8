import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObjectMasks, readDatasetInfo } from "@gqn/data/node";
import { afterAll, describe, expect, it } from "vitest";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderSceneWithObjects } from "./render-scene.js";
import { runSynthCli } from "./run-synth-cli.js";
import { writeSyntheticDataset } from "./write-synthetic-dataset.js";

const root = mkdtempSync(join(tmpdir(), "gqn-scenes-masks-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const settings = {
  scene: "rooms_ring_camera" as const,
  trainScenes: 3,
  testScenes: 2,
  frameSize: 12,
  scenesPerFile: 2,
  seed: 5,
  workers: 0,
};
const shards = (dir: string) =>
  ["train", "test"].flatMap((split) =>
    readdirSync(join(dir, split))
      .sort()
      .map((name) => join(split, name)),
  );

describe("object masks of a synthetic dataset", () => {
  it("leave the TFRecord files byte for byte as they are without masks", async () => {
    const withMasks = join(root, "with");
    const without = join(root, "without");
    await writeSyntheticDataset({ ...settings, out: withMasks });
    await writeSyntheticDataset({ ...settings, out: without, objectMasks: false });
    const a = join(withMasks, "rooms_ring_camera");
    const b = join(without, "rooms_ring_camera");
    expect(shards(a)).toEqual(shards(b));
    expect(shards(a)).toHaveLength(3);
    for (const shard of shards(a)) expect(readFileSync(join(a, shard))).toEqual(readFileSync(join(b, shard)));
    expect(readdirSync(join(a, "masks", "train")).sort()).toEqual(["1-of-2.masks", "2-of-2.masks"]);
    expect(existsSync(join(b, "masks"))).toBe(false);
    expect((await readDatasetInfo(without, "rooms_ring_camera")).objectMasks).toBeUndefined();
  });

  it("hold, for every record and view, the ids and backgrounds the ray caster gives", async () => {
    const out = join(root, "with");
    const info = await readDatasetInfo(out, "rooms_ring_camera");
    expect(info.objectMasks).toEqual({ format: "gqn-object-masks/2", dir: "masks" });
    const masks = ObjectMasks.open(out, info, "train") as ObjectMasks;
    let objectPixels = 0;
    for (const [scene, file, record] of [
      [0, "1-of-2.tfrecord", 0],
      [1, "1-of-2.tfrecord", 1],
      [2, "2-of-2.tfrecord", 0],
    ] as const) {
      const { scene: s, cameras } = generateScene("rooms_ring_camera", sceneSeed(5, "train", scene));
      const expected = renderSceneWithObjects(s, cameras, { frameSize: 12 }).objects;
      for (const view of [0, 4, 9]) {
        const read = await masks.read(file, record, view);
        const want = expected[view]!;
        expect(read.ids).toEqual(want.ids);
        want.ids.forEach((id, i) => {
          if (id === 0) return;
          objectPixels++;
          expect(Array.from(read.behind.subarray(i * 3, i * 3 + 3))).toEqual(
            Array.from(want.behind.subarray(i * 3, i * 3 + 3)),
          );
        });
      }
    }
    expect(objectPixels).toBeGreaterThan(0);
    await masks.close();
  });

  it("are removed when an overwriting rerun turns them off, and rendered again when one turns them on", async () => {
    const out = join(root, "toggle");
    await writeSyntheticDataset({ ...settings, out });
    const dir = join(out, "rooms_ring_camera");
    await expect(writeSyntheticDataset({ ...settings, out, objectMasks: false })).rejects.toThrow(
      /other settings \(objectMasks .* here, none asked\)/,
    );
    await writeSyntheticDataset({ ...settings, out, objectMasks: false, overwrite: true });
    expect(readdirSync(join(dir, "masks", "train"))).toEqual([]);
    await writeSyntheticDataset({ ...settings, out, overwrite: true });
    expect(readdirSync(join(dir, "masks", "test"))).toEqual(["1-of-1.masks"]);
  });

  it("are written by gqn-synth unless --no-object-masks", async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } } as never;
    const args = (out: string) => [
      "--scene",
      "shepard_metzler_5_parts",
      "--out",
      out,
      "--train-scenes",
      "1",
      "--frame-size",
      "8",
      "--workers",
      "0",
      "--quiet",
    ];
    expect(await runSynthCli(args(join(root, "cli")), io)).toBe(0);
    expect(readdirSync(join(root, "cli", "shepard_metzler_5_parts", "masks", "train"))).toEqual([
      "1-of-1.masks",
    ]);
    expect(await runSynthCli([...args(join(root, "cli-none")), "--no-object-masks"], io)).toBe(0);
    expect(existsSync(join(root, "cli-none", "shepard_metzler_5_parts", "masks"))).toBe(false);
  });
});
