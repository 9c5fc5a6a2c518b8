// Draws the contact sheets of docs/synthetic-scenes.md (run after a build: `pnpm contact-sheet`):
// for each scene kind, writes a small dataset with writeSyntheticDataset, reads it back through
// @gqn/data (TFRecord -> Example -> JPEG frames + cameras), and tiles scenes (rows) x views (columns)
// into docs/images/<kind>.png. Usage: node scripts/contact-sheet.mjs [--scenes 4] [--out ../../docs/images]
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeSceneRecord } from "@gqn/data";
import { decodeJpeg, encodePng, readTFRecords } from "@gqn/data/node";
import { SCENE_KINDS, writeSyntheticDataset } from "../dist/node.js";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const here = fileURLToPath(new URL(".", import.meta.url));
const outDir = resolve(arg("out", join(here, "../../../docs/images")));
const scenes = Number(arg("scenes", 4));
const seed = Number(arg("seed", 0));
const gap = 2;

mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "gqn-contact-sheet-"));
try {
  for (const kind of Object.keys(SCENE_KINDS)) {
    const info = await writeSyntheticDataset({
      out: work,
      scene: kind,
      trainScenes: scenes,
      seed,
      workers: 0,
    });
    const size = info.frameSize;
    const dir = join(work, kind, "train");
    const records = [];
    for (const file of readdirSync(dir).sort()) {
      for await (const record of readTFRecords(join(dir, file))) records.push(decodeSceneRecord(record));
    }
    const width = info.views * (size + gap) - gap;
    const height = records.length * (size + gap) - gap;
    const sheet = new Uint8Array(width * height * 3).fill(255);
    records.forEach((record, row) => {
      record.frames.forEach((jpeg, column) => {
        const { data } = decodeJpeg(jpeg);
        for (let y = 0; y < size; y++) {
          const target = ((row * (size + gap) + y) * width + column * (size + gap)) * 3;
          sheet.set(data.subarray(y * size * 3, (y + 1) * size * 3), target);
        }
      });
    });
    const path = join(outDir, `${kind}.png`);
    writeFileSync(path, encodePng(sheet, width, height));
    console.log(`${path}: ${records.length} scenes x ${info.views} views, ${size} px, seed ${seed}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
