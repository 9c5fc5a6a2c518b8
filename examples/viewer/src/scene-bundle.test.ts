import { isGqnError } from "@gqn/core";
import { describe, expect, it } from "vitest";
import { pairDroppedImages, parseSceneBundle, SCENE_BUNDLE_FORMAT } from "./scene-bundle.js";

const valid = {
  format: SCENE_BUNDLE_FORMAT,
  version: 1,
  dataset: "shepard_metzler_5_parts",
  split: "test",
  frameSize: 64,
  scenes: [
    {
      id: "a",
      frames: ["data:image/png;base64,AA", "data:image/png;base64,AB"],
      cameras: [0, 0, 2, 0, 0, 2, 0, 0, 1, 0],
    },
  ],
};

describe("parseSceneBundle", () => {
  it("accepts a valid bundle", () => {
    expect(parseSceneBundle(structuredClone(valid)).scenes[0]?.id).toBe("a");
  });

  it("names what is wrong", () => {
    expect(() => parseSceneBundle({ ...valid, format: "x" })).toThrow(/format must be "gqn-scene-bundle"/);
    expect(() => parseSceneBundle({ ...valid, frameSize: 0 })).toThrow(
      /frameSize must be a positive integer/,
    );
    const badCameras = { ...valid, scenes: [{ ...valid.scenes[0], cameras: [1, 2, 3] }] };
    expect(() => parseSceneBundle(badCameras)).toThrow(
      "parseSceneBundle: scenes[0].cameras must hold 2 x 5 = 10 numbers [x, y, z, yaw, pitch], but got 3.",
    );
    try {
      parseSceneBundle(null);
      expect.unreachable();
    } catch (error) {
      expect(isGqnError(error, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});

describe("pairDroppedImages", () => {
  it("pairs a list of cameras with the images in natural name order", () => {
    const result = pairDroppedImages(
      ["view10.png", "view2.png"],
      [
        [1, 0, 0, 3.14, 0],
        [0, 0, 1, -1.57, 0],
      ],
    );
    expect(result.names).toEqual(["view2.png", "view10.png"]);
    expect(result.cameras).toEqual([1, 0, 0, 3.14, 0, 0, 0, 1, -1.57, 0]);
    expect(pairDroppedImages(["a.png"], { cameras: [[1, 2, 3, 4, 5]] }).cameras).toEqual([1, 2, 3, 4, 5]);
  });

  it("pairs cameras keyed by file name", () => {
    const result = pairDroppedImages(["b.png", "a.png"], {
      "a.png": [1, 1, 1, 0, 0],
      "b.png": [2, 2, 2, 0, 0],
    });
    expect(result.cameras).toEqual([1, 1, 1, 0, 0, 2, 2, 2, 0, 0]);
  });

  it("rejects a count mismatch, a missing name and a short camera", () => {
    expect(() => pairDroppedImages(["a.png", "b.png"], [[1, 2, 3, 4, 5]])).toThrow(
      /lists 1 cameras for 2 images/,
    );
    expect(() => pairDroppedImages(["a.png"], { "b.png": [1, 2, 3, 4, 5] })).toThrow(/no camera for a.png/);
    expect(() => pairDroppedImages(["a.png"], [[1, 2, 3]])).toThrow(/must hold 1 x 5 = 5 numbers/);
  });
});
