// pnpm bench: throughput of the data path, printed as a table. Runs the built package (dist/).
// Figures depend on the machine and on what else runs on it: quote them with that context.
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { build } from "esbuild";
import { decodeSceneRecord, encodeSceneRecord, shardFileName } from "../dist/index.js";
import { createSceneBatches, decodeJpeg, encodeJpeg, readTFRecords, TFRecordWriter } from "../dist/node.js";

tf.enableProdMode();
await tf.setBackend("cpu");
const require = createRequire(import.meta.url);
// The CRCs are internal (no entry exports them): the TypeScript one bundled from src for this
// measure, the native one (what the Node reader and writer call on large buffers) from its package.
const crcBundle = await build({
  entryPoints: [fileURLToPath(new URL("../src/crc32c.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
});
const { crc32c } = await import(`data:text/javascript,${encodeURIComponent(crcBundle.outputFiles[0].text)}`);
const nativeCrc32c = require("@node-rs/crc32").crc32c;
const quick = process.argv.includes("--quick");
const rows = [];
const row = (what, value, unit, note = "") => {
  rows.push({ what, value, unit, note });
  console.error(`  ${what}: ${value} ${unit} ${note}`);
};
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** Runs `fn` repeatedly for about `seconds`; returns calls per second. */
function rate(fn, seconds = quick ? 0.3 : 1.5) {
  fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    fn();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** A frame that compresses like a rendered view: smooth shading, edges and a little noise. */
function frame(size, seed) {
  const rgb = new Uint8Array(size * size * 3);
  let s = seed * 2654435761;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 4) ** 2;
      const i = (y * size + x) * 3;
      const noise = (s >>> 28) - 8;
      rgb[i] = inside ? 200 + noise : (x * 255) / size;
      rgb[i + 1] = inside ? 60 + noise : (y * 180) / size;
      rgb[i + 2] = inside ? 30 : 90 + noise;
    }
  }
  return encodeJpeg(rgb, size, size, 90);
}

const root = join(tmpdir(), `gqn-data-bench-${process.pid}`);
mkdirSync(root, { recursive: true });
try {
  // CRC32C
  const mb = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  const small = mb.subarray(0, 64);
  row("CRC32C, 1 MiB buffers", fmt((rate(() => crc32c(mb)) * mb.length) / 1e9), "GB/s", "slicing-by-8 in TS");
  row("CRC32C, 64 B buffers", fmt((rate(() => crc32c(small)) * 64) / 1e6), "MB/s", "slicing-by-8 in TS");
  row(
    "CRC32C native, 1 MiB buffers",
    fmt((rate(() => nativeCrc32c(mb)) * mb.length) / 1e9),
    "GB/s",
    "@node-rs/crc32 (Node reader, writer)",
  );

  // Example parse
  const views = 10;
  const scene64 = encodeSceneRecord({
    frames: Array.from({ length: views }, (_, v) => frame(64, v)),
    cameras: new Float32Array(views * 5),
  });
  row(
    "Example parse (10-view 64 px scene)",
    fmt(rate(() => decodeSceneRecord(scene64, { views }))),
    "records/s",
    `${scene64.length} B each`,
  );

  // TFRecord read + CRC
  const path = join(root, "read.tfrecord");
  const writer = await TFRecordWriter.open(path);
  const copies = quick ? 2000 : 13500; // a full run reads a 250 MB file, the size of a big published shard
  for (let i = 0; i < copies; i++) await writer.write(scene64);
  await writer.close();
  const bytes = copies * (scene64.length + 16);
  for (const verifyCrc of [true, false]) {
    const start = performance.now();
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    let n = 0;
    for await (const _ of readTFRecords(path, { verifyCrc })) {
      if ((++n & 255) === 0) peak = Math.max(peak, process.memoryUsage.rss());
    }
    const s = (performance.now() - start) / 1000;
    row(
      `TFRecord read${verifyCrc ? " + both CRCs" : ", no CRC"}`,
      `${fmt(n / s)} records/s, ${fmt(bytes / 1e6 / s)}`,
      "MB/s",
      `${(bytes / 1e6).toFixed(0)} MB file, RSS +${((peak - rss0) / 1e6).toFixed(0)} MB while reading`,
    );
  }

  // JPEG decoders, one core, frames/s. Why libjpeg-turbo (wasm) decodes batches: see src/jpeg.ts.
  const napi = require("@napi-rs/image");
  const cwasm = require("@cwasm/jpeg-turbo");
  let jpegJs;
  try {
    jpegJs = require("jpeg-js");
  } catch {}
  for (const size of [64, 128]) {
    const jpg = frame(size, 3);
    row(
      `JPEG decode ${size}px, @cwasm/jpeg-turbo (used)`,
      fmt(rate(() => cwasm.decode(jpg))),
      "frames/s",
      "wasm libjpeg-turbo",
    );
    row(`JPEG decode ${size}px, decodeJpeg (+RGBA->RGB)`, fmt(rate(() => decodeJpeg(jpg))), "frames/s");
    row(
      `JPEG decode ${size}px, @napi-rs/image`,
      fmt(rate(() => new napi.Transformer(jpg).rawPixelsSync())),
      "frames/s",
      "native (Rust)",
    );
    if (jpegJs)
      row(`JPEG decode ${size}px, jpeg-js`, fmt(rate(() => jpegJs.decode(jpg))), "frames/s", "pure JS");
    else row(`JPEG decode ${size}px, jpeg-js`, "-", "", "not installed");
  }

  // Batches end to end: a 64 px, 10-view dataset, B=36, K=5.
  const name = "bench";
  const files = 4;
  const perFile = quick ? 40 : 100;
  mkdirSync(join(root, name, "train"), { recursive: true });
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    join(root, name, "dataset.json"),
    JSON.stringify({ name, frameSize: 64, views, trainFiles: files, testFiles: 0 }),
  );
  const frames = Array.from({ length: 40 }, (_, i) => frame(64, i));
  for (let f = 0; f < files; f++) {
    const w = await TFRecordWriter.open(join(root, name, "train", shardFileName(f + 1, files)));
    for (let s = 0; s < perFile; s++) {
      await w.write(
        encodeSceneRecord({
          frames: Array.from({ length: views }, (_, v) => frames[(s * 7 + v) % frames.length]),
          cameras: new Float32Array(views * 5).map((_, i) => i * 0.1),
        }),
      );
    }
    await w.close();
  }
  const batchCount = quick ? 8 : 30;
  for (const workers of [0, 1, 2]) {
    const it = createSceneBatches({
      dataDir: root,
      dataset: name,
      batchSize: 36,
      contextSize: 5,
      workers,
      seed: 1,
    });
    // Warm-up: workers start, the shuffle buffer fills.
    for (let i = 0; i < 2; i++) (await it.next()).value.dispose();
    const start = performance.now();
    for (let i = 0; i < batchCount; i++) (await it.next()).value.dispose();
    const s = (performance.now() - start) / 1000;
    await it.close();
    row(
      `Batches 64px B=36 K=5, workers ${workers}`,
      `${fmt(batchCount / s)} batches/s, ${fmt((batchCount * 36) / s)}`,
      "scenes/s",
      `${fmt((batchCount * 36 * 6) / s)} frames/s`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

console.log(`\n@gqn/data bench (${availableParallelism()} cores, Node ${process.versions.node})\n`);
const width = Math.max(...rows.map((r) => r.what.length));
const vwidth = Math.max(...rows.map((r) => `${r.value} ${r.unit}`.length));
console.log(`| ${"measure".padEnd(width)} | ${"result".padEnd(vwidth)} | note |`);
console.log(`|${"-".repeat(width + 2)}|${"-".repeat(vwidth + 2)}|------|`);
for (const r of rows)
  console.log(`| ${r.what.padEnd(width)} | ${`${r.value} ${r.unit}`.padEnd(vwidth)} | ${r.note} |`);
