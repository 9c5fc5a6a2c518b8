import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { OBJECT_PIXEL_THRESHOLD, ObjectScoreMeter, objectPixels } from "./object-scores.js";

// One 4x4 view: a grey wall (0.5) with a red object over the top-left 2x2 block (object 1) and a
// green one at the bottom-right pixel (object 2), both in front of the wall.
const wall = 0.5;
const ids = tf.tensor3d(
  [
    [
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 2],
    ],
  ],
  [1, 4, 4],
  "int32",
);
const objectColour = (i: number): number[] =>
  i === 1 ? [1, 0, 0] : i === 2 ? [0, 1, 0] : [wall, wall, wall];
const target = tf.tensor4d(
  Array.from(ids.dataSync()).flatMap((i) => objectColour(i)),
  [1, 4, 4, 3],
);
const masks = { ids, behind: tf.fill([1, 4, 4, 3], wall) as tf.Tensor4D };
const empty = tf.fill([1, 4, 4, 3], wall) as tf.Tensor4D;

const score = async (prediction: tf.Tensor4D) => {
  const meter = new ObjectScoreMeter();
  await meter.add(prediction, target, masks);
  return meter.result();
};

describe("objectPixels", () => {
  it("are the pixels away from the background: the target's objects, nothing of the empty room", () => {
    expect(Array.from(objectPixels(target, target, masks).dataSync())).toEqual(
      Array.from(ids.dataSync()).map((i) => (i > 0 ? 1 : 0)),
    );
    expect(Array.from(objectPixels(empty, target, masks).dataSync()).every((x) => x === 0)).toBe(true);
  });

  it("count a pixel only beyond the threshold", () => {
    const near = tf.add(empty, OBJECT_PIXEL_THRESHOLD * 0.9) as tf.Tensor4D;
    const far = tf.add(empty, OBJECT_PIXEL_THRESHOLD * 1.1) as tf.Tensor4D;
    expect(tf.sum(tf.cast(objectPixels(near, target, masks), "int32")).dataSync()[0]).toBe(0);
    expect(tf.sum(tf.cast(objectPixels(far, target, masks), "int32")).dataSync()[0]).toBe(16);
  });
});

describe("ObjectScoreMeter", () => {
  it("gives a perfect render IoU 1 and infinite object and background PSNR", async () => {
    const s = await score(target);
    expect(s.iou).toBe(1);
    expect(s.objectMse).toBe(0);
    expect(s.objectPsnr).toBe(Number.POSITIVE_INFINITY);
    expect(s.backgroundPsnr).toBe(Number.POSITIVE_INFINITY);
  });

  it("gives the empty room IoU 0 and a perfect background", async () => {
    const s = await score(empty);
    expect(s.iou).toBe(0);
    expect(s.backgroundPsnr).toBe(Number.POSITIVE_INFINITY);
    // Object pixels: red (0.5, 0.5, 0.5 off) x 4 and green x 1, over 5 pixels x 3 channels.
    expect(s.objectMse).toBeCloseTo((5 * 3 * 0.25) / 15, 6);
  });

  it("scores an object in the wrong place low, and an object of the wrong colour in the right place high", async () => {
    // The red block moved one pixel right: overlap 2 of (4 + 2 moved-in pixels + the green one missed).
    const moved = tf.tensor4d(
      [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0].flatMap((o) => (o ? [1, 0, 0] : [wall, wall, wall])),
      [1, 4, 4, 3],
    );
    expect((await score(moved)).iou).toBeCloseTo(2 / 7, 6);
    // Both objects where they are, drawn blue: placement is perfect, their PSNR is not.
    const blue = tf.tensor4d(
      Array.from(ids.dataSync()).flatMap((i) => (i > 0 ? [0, 0, 1] : [wall, wall, wall])),
      [1, 4, 4, 3],
    );
    const s = await score(blue);
    expect(s.iou).toBe(1);
    expect(s.objectPsnr).toBeLessThan(5);
  });

  it("pools pixels over batches, and says NaN where there is nothing to score", async () => {
    const meter = new ObjectScoreMeter();
    await meter.add(target, target, masks);
    await meter.add(empty, target, masks);
    expect(meter.result().iou).toBeCloseTo(5 / 10, 6);
    const noObjects = { ids: tf.zeros([1, 4, 4], "int32") as tf.Tensor3D, behind: masks.behind };
    const none = new ObjectScoreMeter();
    await none.add(empty, empty, noObjects);
    expect(none.result().iou).toBeNaN();
    expect(none.result().objectPsnr).toBeNaN();
  });

  it("leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    await score(target);
    objectPixels(target, target, masks).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
