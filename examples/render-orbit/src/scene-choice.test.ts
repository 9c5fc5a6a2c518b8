import { generateScene, sceneSeed } from "@gqn/scenes";
import { describe, expect, it } from "vitest";
import { distanceFromRoomCentre, firstOffCentreScene } from "./scene-choice.js";

describe("firstOffCentreScene", () => {
  it("skips every scene with an object within the distance of the room's centre", () => {
    const seed = 7;
    const chosen = firstOffCentreScene(seed, 20);
    expect(chosen).toBeDefined();
    const distances = (i: number) =>
      generateScene("rooms_ring_camera", sceneSeed(seed, "test", i)).scene.objects.map(
        distanceFromRoomCentre,
      );
    expect(Math.min(...distances(chosen!))).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < chosen!; i++) expect(Math.min(...distances(i))).toBeLessThan(1);
  });

  it("says none when no scene qualifies", () => {
    expect(firstOffCentreScene(7, 20, 100)).toBeUndefined();
  });

  it("measures the object's foot on the floor, whatever its shape", () => {
    const sphere = { shape: "sphere", center: [3, 0.4, 4], radius: 0.4, color: [1, 0, 0] } as const;
    const cone = { shape: "cone", base: [-3, 0, 4], radius: 0.4, height: 1, color: [1, 0, 0] } as const;
    expect(distanceFromRoomCentre(sphere)).toBeCloseTo(5, 12);
    expect(distanceFromRoomCentre(cone)).toBeCloseTo(5, 12);
  });
});
