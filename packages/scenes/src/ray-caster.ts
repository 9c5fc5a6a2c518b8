// Over 450 lines on purpose: the ray caster's inner loop (compile, trace, slab tests, shading) stays
// in one module so V8 inlines across it, and its hot functions take plain numbers (slab: 13, trace:
// 8) instead of vector objects, which would allocate once per ray and per primitive.
import { GqnError } from "@gqn/core";
import { cameraBasis } from "./camera.js";
import type { Scene, Vec3 } from "./scene.js";

// Primitive type codes and the packed layout of `prims` (STRIDE floats per primitive).
const BOX = 0; // minX, minY, minZ, maxX, maxY, maxZ
const SPHERE = 1; // cx, cy, cz, r, r^2
const CYLINDER = 2; // cx, y0, cz, r, y1, r^2
const CONE = 3; // cx, y0, cz, r, y1 (apex), (r / h)^2
const STRIDE = 8;
const EPSILON = 1e-6;
// A shadow ray starts this far off the surface, so it does not hit the surface it leaves.
const SHADOW_OFFSET = 1e-4;
// What a ray sees first (the return value of `firstSurface`).
const NOTHING = 0; // the sky or the background
const OBJECT = 1;
const FLOOR = 2;
const WALL = 3;

/**
 * Per-pixel object layers of one view, `size * size` pixels row-major from the top-left, written
 * beside the frame by {@link CompiledScene.renderInto}.
 */
export interface ObjectLayers {
  /**
   * The object each pixel shows: 0 for the background (walls, floor, sky), `i + 1` for
   * `scene.objects[i]`. With supersampling, the id most of the pixel's samples hit (ties: the
   * lower id).
   */
  ids: Uint8Array;
  /**
   * RGB bytes (`size * size * 3`): the view rendered with every object transparent to camera rays
   * (the walls, floor or sky behind it; their shadows stay). Equal to the frame wherever no sample
   * of the pixel hit an object.
   */
  behind: Uint8Array;
}

/**
 * A scene packed into typed arrays for the ray caster: primitives, colours and bounds. Built once per
 * scene (all views reuse it); the per-ray code then allocates nothing. Hand-written because no npm
 * ray tracer is both dependency-free and fast on 64x64 frames (a mesh rasteriser or a WebGL port
 * would need a native or GPU dependency).
 */
export class CompiledScene {
  private readonly prims: Float64Array;
  private readonly colors: Float64Array;
  private readonly count: number;
  /** Bounds of all objects (an early exit for rays that miss everything). */
  private readonly bounds = new Float64Array(6);
  private readonly hasRoom: boolean;
  private readonly roomHalf: number;
  private readonly roomHeight: number;
  private readonly wallColor: Float64Array;
  private readonly floorColor: Float64Array;
  private readonly floorTile: number;
  private readonly background: Float64Array;
  private readonly ambient: number;
  private readonly diffuse: number;
  private readonly lx: number;
  private readonly ly: number;
  private readonly lz: number;
  private readonly shadows: boolean;
  readonly fovY: number;

  // The closest hit of the last `trace` (scratch fields, so no object is allocated per ray).
  private hitT = 0;
  private hitNx = 0;
  private hitNy = 0;
  private hitNz = 0;
  private hitPrim = -1;
  // The unit direction of the last `setRayDirection`.
  private rayX = 0;
  private rayY = 0;
  private rayZ = 0;
  // The object hit by the last `shade` (-1: none) and its shaded colour.
  private shadedObject = -1;
  private outR = 0;
  private outG = 0;
  private outB = 0;

  constructor(scene: Scene) {
    const n = scene.objects.length;
    this.count = n;
    this.prims = new Float64Array(n * STRIDE);
    this.colors = new Float64Array(n * 3);
    const b = this.bounds;
    b.set([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
    const grow = (x0: number, y0: number, z0: number, x1: number, y1: number, z1: number): void => {
      b[0] = Math.min(b[0]!, x0);
      b[1] = Math.min(b[1]!, y0);
      b[2] = Math.min(b[2]!, z0);
      b[3] = Math.max(b[3]!, x1);
      b[4] = Math.max(b[4]!, y1);
      b[5] = Math.max(b[5]!, z1);
    };
    scene.objects.forEach((object, i) => {
      const p = this.prims;
      const o = i * STRIDE;
      this.colors.set(object.color, i * 3);
      switch (object.shape) {
        case "box": {
          const [cx, cy, cz] = object.center;
          const [hx, hy, hz] = object.halfSize;
          p.set([BOX, cx - hx, cy - hy, cz - hz, cx + hx, cy + hy, cz + hz], o);
          grow(cx - hx, cy - hy, cz - hz, cx + hx, cy + hy, cz + hz);
          break;
        }
        case "sphere": {
          const [cx, cy, cz] = object.center;
          const r = object.radius;
          p.set([SPHERE, cx, cy, cz, r, r * r], o);
          grow(cx - r, cy - r, cz - r, cx + r, cy + r, cz + r);
          break;
        }
        case "cylinder":
        case "cone": {
          const [cx, y0, cz] = object.base;
          const r = object.radius;
          const h = object.height;
          const last = object.shape === "cylinder" ? r * r : (r / h) ** 2;
          p.set([object.shape === "cylinder" ? CYLINDER : CONE, cx, y0, cz, r, y0 + h, last], o);
          grow(cx - r, y0, cz - r, cx + r, y0 + h, cz + r);
          break;
        }
        default:
          throw new GqnError(
            "INVALID_ARGUMENT",
            `CompiledScene: objects[${i}].shape must be box, sphere, cylinder or cone, but got ${JSON.stringify((object as { shape: unknown }).shape)}.`,
          );
      }
    });
    const room = scene.room;
    this.hasRoom = room !== undefined;
    this.roomHalf = room?.halfSize ?? 0;
    this.roomHeight = room?.wallHeight ?? 0;
    this.wallColor = Float64Array.from(room?.wallColor ?? [0, 0, 0]);
    this.floorColor = Float64Array.from(room?.floorColor ?? [0, 0, 0]);
    this.floorTile = room?.floorTile ?? 1;
    this.background = Float64Array.from(scene.background);
    const { direction, intensity, ambient, shadows } = scene.lighting;
    const norm = Math.hypot(direction[0], direction[1], direction[2]) || 1;
    this.lx = direction[0] / norm;
    this.ly = direction[1] / norm;
    this.lz = direction[2] / norm;
    this.diffuse = intensity;
    this.ambient = ambient;
    this.shadows = shadows;
    this.fovY = scene.fovY;
  }

  /**
   * Renders one view into `out` (RGB bytes, row-major from the top-left, `size * size * 3`), from the
   * stored camera `cameras[offset .. offset + 5]`, with `supersample x supersample` samples per pixel.
   * With `objects`, also writes which object each pixel shows and what lies behind it (see
   * {@link ObjectLayers}); `out` is the same either way.
   */
  renderInto(
    out: Uint8Array,
    size: number,
    cameras: ArrayLike<number>,
    offset: number,
    supersample: number,
    objects?: ObjectLayers,
  ): void {
    const { position, forward, right, up } = cameraBasis(cameras, offset);
    const [ox, oy, oz] = position;
    const tanHalf = Math.tan(this.fovY / 2);
    const samples = supersample * supersample;
    const invSamples = 1 / samples;
    const step = 2 / (size * supersample);
    // Samples per object id (0: background) of the current pixel; one sample needs no vote.
    const votes = objects && samples > 1 ? new Uint16Array(this.count + 1) : undefined;
    let lastId = 0;
    let index = 0;
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        let r = 0;
        let g = 0;
        let bl = 0;
        let behindR = 0;
        let behindG = 0;
        let behindB = 0;
        votes?.fill(0);
        for (let si = 0; si < supersample; si++) {
          for (let sj = 0; sj < supersample; sj++) {
            this.setRayDirection(
              forward,
              right,
              up,
              tanHalf,
              step,
              col * supersample + sj + 0.5,
              row * supersample + si + 0.5,
            );
            const dx = this.rayX;
            const dy = this.rayY;
            const dz = this.rayZ;
            this.shade(ox, oy, oz, dx, dy, dz, false);
            r += this.outR;
            g += this.outG;
            bl += this.outB;
            if (objects) {
              const id = this.shadedObject + 1;
              lastId = id;
              if (votes) votes[id] = (votes[id] as number) + 1;
              // What this ray would see were the objects transparent to it (their shadows stay).
              if (id > 0) this.shade(ox, oy, oz, dx, dy, dz, true);
              behindR += this.outR;
              behindG += this.outG;
              behindB += this.outB;
            }
          }
        }
        if (objects) {
          let id = lastId;
          if (votes) {
            id = 0;
            for (let i = 1; i < votes.length; i++) if ((votes[i] as number) > (votes[id] as number)) id = i;
          }
          objects.ids[index / 3] = id;
          objects.behind[index] = toByte(behindR * invSamples);
          objects.behind[index + 1] = toByte(behindG * invSamples);
          objects.behind[index + 2] = toByte(behindB * invSamples);
        }
        out[index++] = toByte(r * invSamples);
        out[index++] = toByte(g * invSamples);
        out[index++] = toByte(bl * invSamples);
      }
    }
  }

  /** Objects in the scene (the largest id an object mask can hold). */
  get objectCount(): number {
    return this.count;
  }

  /**
   * The ray {@link renderInto} casts through continuous pixel coordinates `(x, y)` of a `size`-pixel
   * frame from the stored camera `cameras[offset .. offset + 5]`: x to the right and y down from the
   * frame's top-left corner, so the one ray of pixel (row i, column j) without supersampling passes
   * through `(j + 0.5, i + 0.5)`. The same code makes the rendered rays, so geometry checked against
   * it is checked against the frames.
   */
  viewRay(
    cameras: ArrayLike<number>,
    offset: number,
    size: number,
    x: number,
    y: number,
  ): { origin: Vec3; direction: Vec3 } {
    const { position, forward, right, up } = cameraBasis(cameras, offset);
    this.setRayDirection(forward, right, up, Math.tan(this.fovY / 2), 2 / size, x, y);
    return { origin: position, direction: [this.rayX, this.rayY, this.rayZ] };
  }

  /**
   * Distance along the ray from `origin` in `direction` (any length; the distance is in world
   * units) to the surface a rendered frame shows there: the nearest object, else the room's floor
   * or wall; Infinity where the frame shows the sky or the background. The room part assumes the
   * ray starts inside the room, as every camera of a rooms scene does.
   */
  hitDistance(origin: Vec3, direction: Vec3): number {
    const n = Math.hypot(direction[0], direction[1], direction[2]);
    if (!(n > 0 && Number.isFinite(n))) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `CompiledScene.hitDistance: direction must be a finite non-zero vector, but got [${direction.join(", ")}].`,
      );
    }
    let dx = direction[0] / n;
    let dy = direction[1] / n;
    let dz = direction[2] / n;
    // The same nudge as `shade`, so the distance is that of the rendered ray.
    if (dx === 0) dx = 1e-12;
    if (dy === 0) dy = 1e-12;
    if (dz === 0) dz = 1e-12;
    const surface = this.firstSurface(origin[0], origin[1], origin[2], dx, dy, dz, false);
    return surface === NOTHING ? Infinity : this.hitT;
  }

  /**
   * The unit direction through image-plane sample `(a, b)` in units of `step` (`2 / samples across
   * the frame`) from the top-left corner, into rayX/rayY/rayZ.
   */
  private setRayDirection(
    forward: Vec3,
    right: Vec3,
    up: Vec3,
    tanHalf: number,
    step: number,
    a: number,
    b: number,
  ): void {
    // Image-plane coordinates in [-tanHalf, tanHalf] at unit depth, +v up.
    const u = (a * step - 1) * tanHalf;
    const v = (1 - b * step) * tanHalf;
    const dx = forward[0] + u * right[0] + v * up[0];
    const dy = forward[1] + u * right[1] + v * up[1];
    const dz = forward[2] + u * right[2] + v * up[2];
    const inv = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
    this.rayX = dx * inv;
    this.rayY = dy * inv;
    this.rayZ = dz * inv;
  }

  /**
   * Colour seen along one unit ray, into outR/outG/outB, and the object it hit into shadedObject
   * (-1: none). `throughObjects` shades the room as if the ray passed through the objects.
   */
  private shade(
    ox: number,
    oy: number,
    oz: number,
    dx: number,
    dy: number,
    dz: number,
    throughObjects: boolean,
  ): void {
    // Axis-parallel rays would divide 0 by 0 in the slab tests; nudge them.
    if (dx === 0) dx = 1e-12;
    if (dy === 0) dy = 1e-12;
    if (dz === 0) dz = 1e-12;
    const surface = this.firstSurface(ox, oy, oz, dx, dy, dz, throughObjects);
    this.shadedObject = surface === OBJECT ? this.hitPrim : -1;
    if (surface === NOTHING) {
      this.setBackground();
      return;
    }
    const t = this.hitT;
    const nx = this.hitNx;
    const ny = this.hitNy;
    const nz = this.hitNz;
    let cr: number;
    let cg: number;
    let cb: number;
    if (surface === OBJECT) {
      const c = this.hitPrim * 3;
      cr = this.colors[c]!;
      cg = this.colors[c + 1]!;
      cb = this.colors[c + 2]!;
    } else if (surface === FLOOR) {
      const px = ox + t * dx;
      const pz = oz + t * dz;
      const tile = this.floorTile;
      const checker = (Math.floor(px / tile) + Math.floor(pz / tile)) & 1 ? 0.88 : 1;
      cr = this.floorColor[0]! * checker;
      cg = this.floorColor[1]! * checker;
      cb = this.floorColor[2]! * checker;
    } else {
      // Walls darken slightly towards the floor: a cheap depth cue in place of a texture.
      const py = oy + t * dy;
      const fade = 0.8 + 0.2 * Math.min(1, Math.max(0, py / this.roomHeight));
      cr = this.wallColor[0]! * fade;
      cg = this.wallColor[1]! * fade;
      cb = this.wallColor[2]! * fade;
    }
    let lambert = nx * this.lx + ny * this.ly + nz * this.lz;
    if (lambert > 0 && this.shadows) {
      const px = ox + t * dx + nx * SHADOW_OFFSET;
      const py = oy + t * dy + ny * SHADOW_OFFSET;
      const pz = oz + t * dz + nz * SHADOW_OFFSET;
      if (this.trace(px, py, pz, this.lx, this.ly, this.lz, Infinity, true)) lambert = 0;
    }
    const light = this.ambient + this.diffuse * Math.max(lambert, 0);
    this.outR = cr * light;
    this.outG = cg * light;
    this.outB = cb * light;
  }

  /**
   * The surface a unit ray (no zero component) sees first: OBJECT (the nearest object, unless
   * `throughObjects`), else FLOOR or WALL of the open-topped room box it leaves (the ray starts inside
   * it), else NOTHING (over the walls, or no room). Sets hitT and the unit normal (and hitPrim for
   * an object).
   */
  private firstSurface(
    ox: number,
    oy: number,
    oz: number,
    dx: number,
    dy: number,
    dz: number,
    throughObjects: boolean,
  ): number {
    if (!throughObjects && this.trace(ox, oy, oz, dx, dy, dz, Infinity, false)) return OBJECT;
    if (!this.hasRoom) return NOTHING;
    const h = this.roomHalf;
    const tx = ((dx > 0 ? h : -h) - ox) / dx;
    const tz = ((dz > 0 ? h : -h) - oz) / dz;
    const ty = ((dy > 0 ? this.roomHeight : 0) - oy) / dy;
    if (ty <= tx && ty <= tz) {
      if (dy > 0) return NOTHING;
      this.hitT = ty;
      this.hitNx = 0;
      this.hitNy = 1;
      this.hitNz = 0;
      return FLOOR;
    }
    if (tx < tz) {
      this.hitT = tx;
      this.hitNx = dx > 0 ? -1 : 1;
      this.hitNy = 0;
      this.hitNz = 0;
    } else {
      this.hitT = tz;
      this.hitNx = 0;
      this.hitNy = 0;
      this.hitNz = dz > 0 ? -1 : 1;
    }
    return WALL;
  }

  private setBackground(): void {
    this.outR = this.background[0]!;
    this.outG = this.background[1]!;
    this.outB = this.background[2]!;
  }

  /**
   * Closest object hit along the ray within `tMax` (or any hit, for shadows). Sets hitT, the unit
   * normal and hitPrim; returns whether something was hit.
   */
  private trace(
    ox: number,
    oy: number,
    oz: number,
    dx: number,
    dy: number,
    dz: number,
    tMax: number,
    anyHit: boolean,
  ): boolean {
    if (this.count === 0) return false;
    if (dx === 0) dx = 1e-12;
    if (dy === 0) dy = 1e-12;
    if (dz === 0) dz = 1e-12;
    const idx = 1 / dx;
    const idy = 1 / dy;
    const idz = 1 / dz;
    const b = this.bounds;
    if (slab(ox, oy, oz, idx, idy, idz, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, tMax) === Infinity) {
      return false;
    }
    const p = this.prims;
    let best = tMax;
    let found = -1;
    for (let i = 0, o = 0; i < this.count; i++, o += STRIDE) {
      const type = p[o]!;
      if (type === BOX) {
        // Slab test, remembering which face the ray enters by.
        let t0 = (p[o + 1]! - ox) * idx;
        let t1 = (p[o + 4]! - ox) * idx;
        if (t0 > t1) {
          const s = t0;
          t0 = t1;
          t1 = s;
        }
        let near = t0;
        let far = t1;
        let axis = 0;
        t0 = (p[o + 2]! - oy) * idy;
        t1 = (p[o + 5]! - oy) * idy;
        if (t0 > t1) {
          const s = t0;
          t0 = t1;
          t1 = s;
        }
        if (t0 > near) {
          near = t0;
          axis = 1;
        }
        if (t1 < far) far = t1;
        t0 = (p[o + 3]! - oz) * idz;
        t1 = (p[o + 6]! - oz) * idz;
        if (t0 > t1) {
          const s = t0;
          t0 = t1;
          t1 = s;
        }
        if (t0 > near) {
          near = t0;
          axis = 2;
        }
        if (t1 < far) far = t1;
        if (near <= far && near > EPSILON && near < best) {
          best = near;
          found = i;
          this.hitNx = axis === 0 ? (dx > 0 ? -1 : 1) : 0;
          this.hitNy = axis === 1 ? (dy > 0 ? -1 : 1) : 0;
          this.hitNz = axis === 2 ? (dz > 0 ? -1 : 1) : 0;
          if (anyHit) break;
        }
      } else if (type === SPHERE) {
        const cx = p[o + 1]!;
        const cy = p[o + 2]!;
        const cz = p[o + 3]!;
        const ocx = ox - cx;
        const ocy = oy - cy;
        const ocz = oz - cz;
        const hb = ocx * dx + ocy * dy + ocz * dz;
        const c = ocx * ocx + ocy * ocy + ocz * ocz - p[o + 5]!;
        const disc = hb * hb - c;
        if (disc < 0) continue;
        const t = -hb - Math.sqrt(disc);
        if (t > EPSILON && t < best) {
          best = t;
          found = i;
          const inv = 1 / p[o + 4]!;
          this.hitNx = (ocx + t * dx) * inv;
          this.hitNy = (ocy + t * dy) * inv;
          this.hitNz = (ocz + t * dz) * inv;
          if (anyHit) break;
        }
      } else {
        const cx = p[o + 1]!;
        const y0 = p[o + 2]!;
        const cz = p[o + 3]!;
        const r = p[o + 4]!;
        const y1 = p[o + 5]!;
        const ocx = ox - cx;
        const ocz = oz - cz;
        const a2 = dx * dx + dz * dz;
        if (type === CYLINDER) {
          const r2 = p[o + 6]!;
          // Side: (ocx + t dx)^2 + (ocz + t dz)^2 = r^2 with y0 <= y <= y1.
          const hb = ocx * dx + ocz * dz;
          const c = ocx * ocx + ocz * ocz - r2;
          const disc = hb * hb - a2 * c;
          if (disc >= 0 && a2 > 0) {
            const t = (-hb - Math.sqrt(disc)) / a2;
            const y = oy + t * dy;
            if (t > EPSILON && t < best && y >= y0 && y <= y1) {
              best = t;
              found = i;
              this.hitNx = (ocx + t * dx) / r;
              this.hitNy = 0;
              this.hitNz = (ocz + t * dz) / r;
            }
          }
          // Caps: the top seen from above, the bottom from below.
          const yc = dy < 0 ? y1 : y0;
          const t = (yc - oy) * idy;
          if (t > EPSILON && t < best) {
            const qx = ocx + t * dx;
            const qz = ocz + t * dz;
            if (qx * qx + qz * qz <= r2) {
              best = t;
              found = i;
              this.hitNx = 0;
              this.hitNy = dy < 0 ? 1 : -1;
              this.hitNz = 0;
            }
          }
        } else {
          // Cone with apex (cx, y1, cz): qx^2 + qz^2 = k qy^2 with q relative to the apex, qy in [y0 - y1, 0].
          const k = p[o + 6]!;
          const ocy = oy - y1;
          const a = a2 - k * dy * dy;
          const hb = ocx * dx + ocz * dz - k * ocy * dy;
          const c = ocx * ocx + ocz * ocz - k * ocy * ocy;
          const disc = hb * hb - a * c;
          if (disc >= 0 && a !== 0) {
            const sq = Math.sqrt(disc);
            let ta = (-hb - sq) / a;
            let tb = (-hb + sq) / a;
            if (ta > tb) {
              const s = ta;
              ta = tb;
              tb = s;
            }
            for (let root = 0; root < 2; root++) {
              const t = root === 0 ? ta : tb;
              if (t <= EPSILON || t >= best) continue;
              const qy = ocy + t * dy;
              if (qy > 0 || qy < y0 - y1) continue;
              const qx = ocx + t * dx;
              const qz = ocz + t * dz;
              const ny = -k * qy;
              const inv = 1 / Math.sqrt(qx * qx + ny * ny + qz * qz);
              best = t;
              found = i;
              this.hitNx = qx * inv;
              this.hitNy = ny * inv;
              this.hitNz = qz * inv;
              break;
            }
          }
          // Base disc, visible from below only.
          if (dy > 0) {
            const t = (y0 - oy) * idy;
            if (t > EPSILON && t < best) {
              const qx = ocx + t * dx;
              const qz = ocz + t * dz;
              if (qx * qx + qz * qz <= r * r) {
                best = t;
                found = i;
                this.hitNx = 0;
                this.hitNy = -1;
                this.hitNz = 0;
              }
            }
          }
        }
        if (anyHit && found >= 0) break;
      }
    }
    if (found < 0) return false;
    this.hitT = best;
    this.hitPrim = found;
    return true;
  }
}

/** Entry distance of a ray into an axis-aligned box (0 when it starts inside), or Infinity for a miss. */
function slab(
  ox: number,
  oy: number,
  oz: number,
  idx: number,
  idy: number,
  idz: number,
  x0: number,
  y0: number,
  z0: number,
  x1: number,
  y1: number,
  z1: number,
  tMax: number,
): number {
  let t0 = (x0 - ox) * idx;
  let t1 = (x1 - ox) * idx;
  let near = Math.min(t0, t1);
  let far = Math.max(t0, t1);
  t0 = (y0 - oy) * idy;
  t1 = (y1 - oy) * idy;
  near = Math.max(near, Math.min(t0, t1));
  far = Math.min(far, Math.max(t0, t1));
  t0 = (z0 - oz) * idz;
  t1 = (z1 - oz) * idz;
  near = Math.max(near, Math.min(t0, t1));
  far = Math.min(far, Math.max(t0, t1), tMax);
  if (far < 0 || near > far) return Infinity;
  return Math.max(near, 0);
}

function toByte(x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 255;
  return Math.round(x * 255);
}
