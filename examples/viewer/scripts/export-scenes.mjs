#!/usr/bin/env node
// Exports a few scenes of a GQN dataset's test split as a scene bundle for the page
// (public/scenes/): per scene its frames as JPEG data URLs (the record's own bytes) and its
// cameras. Plain Node, reading the TFRecords with @gqn/data.
//
//   node scripts/export-scenes.mjs <data dir> <dataset> [--scenes N] [--out FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { decodeSceneRecord } from "@gqn/data";
import { listDatasetFiles, readDatasetInfo, readTFRecords } from "@gqn/data/node";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  allowPositionals: true,
  options: { scenes: { type: "string" }, out: { type: "string" } },
});
const [dataDir, dataset] = positionals;
if (!dataDir || !dataset) {
  console.error("Usage: node scripts/export-scenes.mjs <data dir> <dataset> [--scenes N] [--out FILE]");
  process.exit(1);
}
const count = Number(values.scenes ?? 6);
if (!Number.isInteger(count) || count < 1) {
  console.error(`export-scenes: --scenes must be a positive integer, but got "${values.scenes}".`);
  process.exit(1);
}
const info = await readDatasetInfo(resolve(dataDir), dataset);
const files = await listDatasetFiles(resolve(dataDir), info, "test");
if (files.length === 0) {
  console.error(`export-scenes: ${dataset} in ${dataDir} has no test split.`);
  process.exit(1);
}
const scenes = [];
for (const file of files) {
  let index = 0;
  for await (const bytes of readTFRecords(file)) {
    const record = decodeSceneRecord(bytes, { views: info.views });
    scenes.push({
      id: `test/${file.split("/").pop()}#${index++}`,
      frames: record.frames.map((jpeg) => `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}`),
      cameras: Array.from(record.cameras, (x) => Math.round(x * 1e6) / 1e6),
    });
    if (scenes.length === count) break;
  }
  if (scenes.length === count) break;
}
const out = resolve(
  values.out ?? join(import.meta.dirname ?? ".", "..", "public", "scenes", `${dataset}-test.json`),
);
const bundle = {
  format: "gqn-scene-bundle",
  version: 1,
  dataset,
  split: "test",
  frameSize: info.frameSize,
  source: `export-scenes.mjs ${dataset} --scenes ${count} (${info.synthetic ? "synthetic, @gqn/scenes" : "gqn-datasets"})`,
  scenes,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(bundle)}\n`);
console.log(`export-scenes: ${scenes.length} test scenes of ${dataset} (${info.frameSize} px) -> ${out}`);
