// Interoperability with an independent TFRecord + tf.train.Example implementation from npm
// (@roboflow/tfrecords, built on google-protobuf; a dev dependency only): files each side writes, the
// other reads. Loaded with require: the package ships CommonJS with TypeScript sources beside it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeExample, encodeExample } from "./example.js";
import { readTFRecords } from "./read-tfrecords.js";
import { decodeSceneRecord, encodeSceneRecord } from "./scene-record.js";
import { testScene } from "./test-datasets.js";
import { TFRecordWriter } from "./tfrecord-writer.js";

const require = createRequire(import.meta.url);
const { TFRecordsBuilder, FeatureType } = require("@roboflow/tfrecords/src/tensorFlowBuilder.js");
const { TFRecordsReader } = require("@roboflow/tfrecords/src/tensorFlowReader.js");

const root = mkdtempSync(join(tmpdir(), "gqn-data-cross-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type FeatureObject = {
  bytesList?: { valueList: string[] };
  floatList?: { valueList: number[] };
  int64List?: { valueList: (number | string)[] };
};

/** The records of a file as the other implementation sees them: name -> feature, per record. */
function readWithRoboflow(path: string): Map<string, FeatureObject>[] {
  const reader = new TFRecordsReader(readFileSync(path));
  return reader
    .toArray()
    .map((m: { context: { featureMap: [string, FeatureObject][] } }) => new Map(m.context.featureMap));
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("against @roboflow/tfrecords", () => {
  it("reads the files it writes", async () => {
    const scene = testScene(3, 4, 8);
    const records = [0, 1, 2].map((i) => {
      const builder = new TFRecordsBuilder();
      builder.addArrayFeature("frames", FeatureType.Binary, scene.frames);
      builder.addArrayFeature("cameras", FeatureType.Float, Array.from(scene.cameras));
      builder.addArrayFeature("ids", FeatureType.Int64, [i, -7, 2 ** 40]);
      return builder.build();
    });
    const path = join(root, "theirs.tfrecord");
    writeFileSync(path, TFRecordsBuilder.buildTFRecords(records));
    const ours: Uint8Array[] = [];
    for await (const record of readTFRecords(path)) ours.push(record);
    expect(ours).toHaveLength(3);
    ours.forEach((bytes, i) => {
      const decoded = decodeSceneRecord(bytes, { views: 4 });
      expect(decoded.frames).toEqual(scene.frames);
      expect(decoded.cameras).toEqual(scene.cameras);
      const ids = decodeExample(bytes).ids;
      expect(ids).toEqual({ kind: "int64", value: BigInt64Array.of(BigInt(i), -7n, 2n ** 40n) });
    });
  });

  it("writes files it reads", async () => {
    const path = join(root, "ours.tfrecord");
    const writer = await TFRecordWriter.open(path);
    const scenes = [testScene(0, 3, 8), testScene(1, 3, 8)];
    for (const scene of scenes) await writer.write(encodeSceneRecord(scene));
    await writer.write(
      encodeExample({
        ids: { kind: "int64", value: BigInt64Array.of(5n, -3n, 2n ** 40n) },
        empty: { kind: "float", value: new Float32Array(0) },
      }),
    );
    await writer.close();
    const theirs = readWithRoboflow(path);
    expect(theirs).toHaveLength(3);
    scenes.forEach((scene, i) => {
      const features = theirs[i] as Map<string, FeatureObject>;
      expect(features.get("frames")?.bytesList?.valueList).toEqual(scene.frames.map(base64));
      expect(features.get("cameras")?.floatList?.valueList).toEqual(Array.from(scene.cameras));
    });
    expect(theirs[2]?.get("ids")?.int64List?.valueList.map(Number)).toEqual([5, -3, 2 ** 40]);
  });
});
