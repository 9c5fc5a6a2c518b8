import { describe, expect, it } from "vitest";
import { cameraLookAt } from "./camera.js";
import { generateScene, sceneSeed } from "./generate-scene.js";
import { renderScene, renderSceneWithObjects } from "./render-scene.js";
import type { Scene } from "./scene.js";

const lighting = { direction: [0, 0, 1] as const, intensity: 0, ambient: 1, shadows: false };

describe("renderSceneWithObjects", () => {
  it("gives the frames renderScene gives, byte for byte, with and without supersampling", () => {
    const { scene, cameras } = generateScene("rooms_ring_camera", sceneSeed(3, "train", 7));
    for (const supersample of [1, 2]) {
      const plain = renderScene(scene, cameras, { frameSize: 16, supersample });
      const withObjects = renderSceneWithObjects(scene, cameras, { frameSize: 16, supersample });
      expect(withObjects.frames).toEqual(plain);
      expect(withObjects.objects).toHaveLength(plain.length);
    }
  });

  it("names the object each pixel shows (0 for the background), nearest first, and what lies behind it", () => {
    // Two unlit squares facing the camera, the green one in front of the red one, over a blue background.
    const scene: Scene = {
      objects: [
        { shape: "box", center: [0, 0, 0], halfSize: [1, 1, 0.1], color: [1, 0, 0] },
        { shape: "box", center: [0.5, 0, 1], halfSize: [0.25, 0.25, 0.1], color: [0, 1, 0] },
      ],
      lighting,
      background: [0, 0, 1],
      fovY: Math.PI / 2,
    };
    const size = 40;
    const camera = cameraLookAt([0, 0, 4], [0, 0, 0]);
    const { frames, objects } = renderSceneWithObjects(scene, camera, { frameSize: size });
    const { ids, behind } = objects[0]!;
    const frame = frames[0]!;
    const pixel = (row: number, col: number) => row * size + col;
    const rgb = (bytes: Uint8Array, i: number) => Array.from(bytes.subarray(i * 3, i * 3 + 3));
    expect(ids[pixel(0, 0)]).toBe(0); // the corner: background
    expect(ids[pixel(size / 2, size / 2 - 4)]).toBe(1); // the red square
    // The green square (x in [0.25, 0.75] at depth 3 from the camera: columns right of the centre).
    const green = pixel(size / 2, Math.round(size / 2 + (0.5 / 3) * (size / 2)));
    expect(ids[green]).toBe(2);
    expect(rgb(frame, green)).toEqual([0, 255, 0]);
    expect(rgb(behind, green)).toEqual([0, 0, 255]); // every object transparent: the background
    for (let i = 0; i < size * size; i++) {
      if (ids[i] === 0) expect(rgb(behind, i)).toEqual(rgb(frame, i));
      else expect(ids[i]).toBe(rgb(frame, i)[0] === 255 ? 1 : 2);
    }
  });

  it("takes the id most of a pixel's samples hit", () => {
    // A sphere covering the middle of the frame: a 2x2-supersampled mask matches the 1-sample mask of
    // twice the size, pooled 2x2 by majority (ties to the background).
    const scene: Scene = {
      objects: [{ shape: "sphere", center: [0, 0, 0], radius: 1, color: [1, 1, 1] }],
      lighting,
      background: [0, 0, 0],
      fovY: Math.PI / 3,
    };
    const camera = cameraLookAt([0, 0, 4], [0, 0, 0]);
    const small = renderSceneWithObjects(scene, camera, { frameSize: 12, supersample: 2 }).objects[0]!.ids;
    const large = renderSceneWithObjects(scene, camera, { frameSize: 24 }).objects[0]!.ids;
    for (let row = 0; row < 12; row++) {
      for (let col = 0; col < 12; col++) {
        const hits =
          large[2 * row * 24 + 2 * col]! +
          large[2 * row * 24 + 2 * col + 1]! +
          large[(2 * row + 1) * 24 + 2 * col]! +
          large[(2 * row + 1) * 24 + 2 * col + 1]!;
        expect(small[row * 12 + col]).toBe(hits > 2 ? 1 : 0);
      }
    }
  });

  it("refuses more objects than a byte can name", () => {
    const scene: Scene = {
      objects: Array.from({ length: 256 }, (_, i) => ({
        shape: "sphere" as const,
        center: [i, 0, 0] as const,
        radius: 0.1,
        color: [1, 1, 1] as const,
      })),
      lighting,
      background: [0, 0, 0],
      fovY: 1,
    };
    expect(() => renderSceneWithObjects(scene, cameraLookAt([0, 0, 4], [0, 0, 0]), { frameSize: 8 })).toThrow(
      "at most 255 objects, but it holds 256",
    );
  });
});
