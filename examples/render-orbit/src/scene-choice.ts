// Which test scene an orbit shows by default. An object at the room's centre stays at the centre
// of every frame of a ring of cameras that look at the centre, so an orbit around it shows a
// model that draws one blob in the middle as well as one that places objects: the default is a
// scene whose objects all stand away from the centre, where a wrong placement shows.
import { generateScene, type SceneObject, sceneSeed } from "@gqn/scenes";

/** Distance on the floor (x, z) from an object's centre or base to the room's centre. */
export function distanceFromRoomCentre(object: SceneObject): number {
  const [x, , z] = object.shape === "box" || object.shape === "sphere" ? object.center : object.base;
  return Math.hypot(x, z);
}

/**
 * The first of `scenes` test scenes of a gqn-synth rooms_ring_camera dataset made with `seed`
 * whose every object stands at least `minDistance` from the room's centre, or undefined if none
 * does. Scene `i` is the split's `i`-th record, regenerated from its seed (no file is read).
 */
export function firstOffCentreScene(seed: number, scenes: number, minDistance = 1): number | undefined {
  for (let i = 0; i < scenes; i++) {
    const { scene } = generateScene("rooms_ring_camera", sceneSeed(seed, "test", i));
    if (scene.objects.every((object) => distanceFromRoomCentre(object) >= minDistance)) return i;
  }
  return undefined;
}
