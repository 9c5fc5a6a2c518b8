// Writes the object masks of each test scene's query view (view K, the one the study scores) as one
// flat file for objscore.py: [N,S,S] uint8 object ids, then [N,S,S,3] uint8 background behind them.
// Scenes in the order the reference reads them (test files sorted by name, records in file order).
// Usage (from examples/train-synthetic, after pnpm build):
//   node recipe-study/dump-masks.mjs <data-root> <dataset> <out-file> [K=5]
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ObjectMaskFile, readDatasetInfo } from "@gqn/data/node";

const [root, dataset, out, k = "5"] = process.argv.slice(2);
if (!root || !dataset || !out) {
  console.error("usage: node recipe-study/dump-masks.mjs <data-root> <dataset> <out-file> [K=5]");
  process.exit(2);
}
const info = await readDatasetInfo(root, dataset);
if (!info.objectMasks)
  throw new Error(
    `${join(root, dataset)}/dataset.json declares no object masks: render it with gqn-synth (masks are on by default).`,
  );
const dir = join(root, dataset, info.objectMasks.dir, "test");
const names = (await readdir(dir)).filter((name) => name.endsWith(".masks")).sort();
const ids = [];
const behind = [];
for (const name of names) {
  const file = await ObjectMaskFile.open(join(dir, name));
  for (let record = 0; record < file.records; record++) {
    const view = (await file.read(record))[Number(k)];
    ids.push(Buffer.from(view.ids));
    behind.push(Buffer.from(view.behind));
  }
  await file.close();
}
await writeFile(out, Buffer.concat([...ids, ...behind]));
console.log(`${out}: query-view masks of ${ids.length} test scenes from ${names.length} files`);
