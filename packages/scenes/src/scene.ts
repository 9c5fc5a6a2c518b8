/** A point or direction `[x, y, z]` in world units (y up, see {@link CAMERA_CONVENTIONS}). */
export type Vec3 = readonly [number, number, number];

/** A linear RGB colour, each channel in [0, 1]. */
export type Rgb = readonly [number, number, number];

/** An axis-aligned box. */
export interface BoxObject {
  readonly shape: "box";
  readonly center: Vec3;
  /** Half the edge length along x, y and z. */
  readonly halfSize: Vec3;
  readonly color: Rgb;
}

/** A sphere. */
export interface SphereObject {
  readonly shape: "sphere";
  readonly center: Vec3;
  readonly radius: number;
  readonly color: Rgb;
}

/** A capped cylinder standing on its base, axis along +y. */
export interface CylinderObject {
  readonly shape: "cylinder";
  /** Centre of the bottom cap. */
  readonly base: Vec3;
  readonly radius: number;
  readonly height: number;
  readonly color: Rgb;
}

/** A cone standing on its base (a capped disc), apex `height` above the base along +y. */
export interface ConeObject {
  readonly shape: "cone";
  /** Centre of the base disc. */
  readonly base: Vec3;
  readonly radius: number;
  readonly height: number;
  readonly color: Rgb;
}

/** Any object a scene may hold. */
export type SceneObject = BoxObject | SphereObject | CylinderObject | ConeObject;

/**
 * A square room without a ceiling: floor `y = 0` over `[-halfSize, halfSize]` in x and z, four walls of
 * `wallHeight`; rays that leave over the walls see the scene background (the sky).
 */
export interface Room {
  readonly halfSize: number;
  readonly wallHeight: number;
  readonly wallColor: Rgb;
  readonly floorColor: Rgb;
  /** Edge of the floor's checker tiles (a faint texture that gives the floor perspective cues). */
  readonly floorTile: number;
}

/** One directional light (parallel rays, like the sun) plus ambient light. */
export interface Lighting {
  /** Unit vector from the scene TOWARDS the light. */
  readonly direction: Vec3;
  /** Weight of the Lambert term. */
  readonly intensity: number;
  /** Weight of the ambient term (lights every surface, also those in shadow). */
  readonly ambient: number;
  /** Whether objects cast shadows (one shadow ray per visible point). */
  readonly shadows: boolean;
}

/**
 * A complete, JSON-serialisable scene: everything {@link renderView} needs besides the camera. A scene
 * plus the 5-float cameras of a record re-render the record's frames exactly.
 */
export interface Scene {
  readonly objects: readonly SceneObject[];
  readonly room?: Room;
  readonly lighting: Lighting;
  /** Colour of rays that hit nothing. */
  readonly background: Rgb;
  /** Vertical (and, frames being square, horizontal) field of view, radians. */
  readonly fovY: number;
}
