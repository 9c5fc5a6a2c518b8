// The epipolar reader's tensors: their geometry against @gqn/data's pinhole functions, the
// bilinear sampler's and the attention's values and gradients (fused kernels against plain ops,
// and against finite differences), and the reader as a layer.
import { cameraToPose, pinholeCamera, pixelRay, pointAlong, projectPoint } from "@gqn/data";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { attentionRead } from "./attention-read.js";
import { EpipolarReader } from "./epipolar-reader.js";
import {
  disposeEpipolarSamples,
  type EpipolarGeometry,
  epipolarSamples,
  rayDepths,
  sampleViews,
} from "./epipolar-samples.js";

/** Cameras on a ring of radius 3 at height 1 looking at (0, 0.4, 0), as the rooms scenes place them. */
function ringPoses(angles: number[]): Float32Array {
  const out = new Float32Array(angles.length * 7);
  angles.forEach((a, i) => {
    const [x, y, z] = [3 * Math.cos(a), 1, 3 * Math.sin(a)];
    const [dx, dy, dz] = [-x, 0.4 - y, -z];
    cameraToPose([x, y, z, Math.atan2(dz, dx), Math.atan2(dy, Math.hypot(dx, dz))], out, i * 7);
  });
  return out;
}

const GEOMETRY = { fovDegrees: 60, frameSize: 32, grid: 4, depths: 8, near: 0.5, far: 7 };

/** {@link epipolarSamples} of context and query poses given as arrays. */
function withPoses(
  context: Float32Array,
  query: Float32Array,
  [b, k]: [number, number],
  geometry: EpipolarGeometry,
) {
  const [c, q] = [tf.tensor3d(context, [b, k, 7]), tf.tensor2d(query, [b, 7])];
  try {
    return epipolarSamples(c, q, geometry);
  } finally {
    tf.dispose([c, q]);
  }
}

describe("epipolarSamples", () => {
  it("puts each ray's points where the pinhole camera of each context view projects them", () => {
    const context = ringPoses([0.1, 1.4, 2.9, 4.0, 5.5, 0.7]); // B = 2 scenes of K = 3
    const query = ringPoses([0.5, 3.3]);
    const [b, k] = [2, 3];
    const samples = withPoses(context, query, [b, k], GEOMETRY);
    const [x, y, valid] = [samples.x.arraySync(), samples.y.arraySync(), samples.valid.arraySync()];
    disposeEpipolarSamples(samples);
    const { grid: g, frameSize: s, depths: n } = GEOMETRY;
    const t = rayDepths(GEOMETRY.near, GEOMETRY.far, n);
    let checked = 0;
    let seen = 0;
    for (let bi = 0; bi < b; bi++) {
      const q = pinholeCamera(query, 60, s, bi * 7);
      for (let cell = 0; cell < g * g; cell++) {
        const ray = pixelRay(q, ((cell % g) + 0.5) * (s / g), (Math.floor(cell / g) + 0.5) * (s / g));
        for (let ki = 0; ki < k; ki++) {
          const camera = pinholeCamera(context, 60, s, (bi * k + ki) * 7);
          for (let j = 0; j < n; j++) {
            const p = projectPoint(camera, pointAlong(ray, t[j] as number));
            const inside = p.depth > 1e-3 && p.x >= 0 && p.x <= s && p.y >= 0 && p.y <= s;
            const v = valid[bi]?.[cell]?.[ki]?.[j];
            expect(v, `scene ${bi} cell ${cell} view ${ki} depth ${j}`).toBe(inside ? 1 : 0);
            checked++;
            if (!inside) continue;
            seen++;
            expect(Math.abs((x[bi]?.[cell]?.[ki]?.[j] as number) - p.x)).toBeLessThan(2e-3);
            expect(Math.abs((y[bi]?.[cell]?.[ki]?.[j] as number) - p.y)).toBeLessThan(2e-3);
          }
        }
      }
    }
    expect(checked).toBe(b * g * g * k * n);
    expect(seen).toBeGreaterThan(checked / 4); // the ring cameras see much of each other's rays
  });
});

/** Bilinear interpolation of one channel of one view, pixel centres at integers + 0.5, clamped. */
function bilinear(map: number[][], px: number, py: number): number {
  const h = map.length;
  const w = (map[0] as number[]).length;
  const mx = Math.min(Math.max(px - 0.5, 0), w - 1);
  const my = Math.min(Math.max(py - 0.5, 0), h - 1);
  const [x0, y0] = [Math.floor(mx), Math.floor(my)];
  const [x1, y1] = [Math.min(x0 + 1, w - 1), Math.min(y0 + 1, h - 1)];
  const [fx, fy] = [mx - x0, my - y0];
  const at = (yy: number, xx: number) => (map[yy] as number[])[xx] as number;
  return (
    (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))
  );
}

describe("sampleViews", () => {
  const b = 1;
  const k = 2;
  const makeSamples = () =>
    withPoses(ringPoses([0.2, 1.1]), ringPoses([0.6]), [b, k], {
      ...GEOMETRY,
      frameSize: 8,
      grid: 2,
      depths: 6,
    });

  it("samples bilinearly at the points' pixels (scaled to the map), zero where a point does not count", () => {
    const samples = makeSamples();
    const maps = tf.randomUniform([b, k, 4, 4, 2], -1, 1, "float32", 3) as tf.Tensor5D;
    const out = sampleViews(maps, samples);
    expect(out.shape).toEqual([b, 4, k, 6, 2]);
    const m = maps.arraySync() as number[][][][][];
    const o = out.arraySync() as number[][][][][];
    const [x, y, valid] = [samples.x.arraySync(), samples.y.arraySync(), samples.valid.arraySync()];
    let counted = 0;
    for (let cell = 0; cell < 4; cell++) {
      for (let ki = 0; ki < k; ki++) {
        for (let j = 0; j < 6; j++) {
          for (let ch = 0; ch < 2; ch++) {
            const plane = ((m[0] as number[][][][])[ki] as number[][][]).map((row) =>
              row.map((v) => v[ch] as number),
            );
            const v = valid[0]?.[cell]?.[ki]?.[j] as number;
            // Frames of 8 px, maps of 4: the point's pixel coordinates halve.
            const px = (x[0]?.[cell]?.[ki]?.[j] as number) / 2;
            const py = (y[0]?.[cell]?.[ki]?.[j] as number) / 2;
            const expected = v ? bilinear(plane, px, py) : 0;
            expect(o[0]?.[cell]?.[ki]?.[j]?.[ch]).toBeCloseTo(expected, 5);
            counted += v;
          }
        }
      }
    }
    expect(counted).toBeGreaterThan(4);
    tf.dispose([maps, out]);
    disposeEpipolarSamples(samples);
  });

  it("gives the fused kernels' values and gradients with the plain ops (gathers and a ScatterNd)", () => {
    const samples = makeSamples();
    const maps = tf.randomUniform([b, k, 4, 4, 3], -1, 1, "float32", 8) as tf.Tensor5D;
    const weights = tf.randomUniform([b, 4, k, 6, 3], -1, 1, "float32", 9);
    const run = (fused: boolean) => {
      const f = (x: tf.Tensor) => tf.sum(tf.mul(sampleViews(x as tf.Tensor5D, samples, { fused }), weights));
      const { value, grad } = tf.valueAndGrad(f)(maps);
      const out = { value: value.dataSync()[0] as number, grad: Array.from(grad.dataSync()) };
      tf.dispose([value, grad]);
      return out;
    };
    const [fused, plain] = [run(true), run(false)];
    expect(fused.value).toBeCloseTo(plain.value, 4);
    for (const [i, g] of fused.grad.entries()) expect(g).toBeCloseTo(plain.grad[i] as number, 5);
    expect(fused.grad.some((g) => g !== 0)).toBe(true);
    tf.dispose([maps, weights]);
    disposeEpipolarSamples(samples);
  });

  it("has the gradient of finite differences with respect to the maps (the scatter-add backward)", () => {
    const samples = makeSamples();
    const maps = tf.randomUniform([b, k, 4, 4, 2], -1, 1, "float32", 5) as tf.Tensor5D;
    const weights = tf.randomUniform([b, 4, k, 6, 2], -1, 1, "float32", 6);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(sampleViews(x as tf.Tensor5D, samples), weights));
    const grad = tf.grad(f)(maps);
    const g = grad.dataSync();
    const base = maps.dataSync();
    const eps = 1e-2;
    let nonZero = 0;
    for (let i = 0; i < base.length; i++) {
      const at = (d: number) => {
        const v = Float32Array.from(base);
        v[i] = (v[i] as number) + d;
        return tf.tidy(() => f(tf.tensor(v, maps.shape)).dataSync()[0] as number);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      expect(g[i]).toBeCloseTo(numeric, 2);
      if (Math.abs(numeric) > 1e-3) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(8);
    tf.dispose([maps, weights, grad]);
    disposeEpipolarSamples(samples);
  });
});

describe("attentionRead", () => {
  it("gives the fused kernels' values and gradients with the plain ops, masked keys ignored", () => {
    const [n, d, j, v] = [5, 4, 6, 3];
    const q = tf.randomNormal([n, d], 0, 1, "float32", 1) as tf.Tensor2D;
    const keys = tf.randomNormal([n, d, j], 0, 1, "float32", 2) as tf.Tensor3D;
    const values = tf.randomNormal([n, j, v], 0, 1, "float32", 3) as tf.Tensor3D;
    // Row 0 sees only its first key; the others all but their last.
    const mask = Array.from({ length: n * j }, (_, i) =>
      i < j ? (i === 0 ? 0 : -1e9) : i % j === j - 1 ? -1e9 : 0,
    );
    const bias = tf.tensor2d(mask, [n, j]);
    const dy = tf.randomNormal([n, v], 0, 1, "float32", 4);
    const run = (fused: boolean) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.mul(
            attentionRead(a as tf.Tensor2D, b as tf.Tensor3D, c as tf.Tensor3D, bias, 0.5, { fused }),
            dy,
          ),
        );
      const { value, grads } = tf.valueAndGrads(f)([q, keys, values]);
      const out = { value: value.dataSync()[0] as number, grads: grads.map((g) => Array.from(g.dataSync())) };
      tf.dispose([value, ...grads]);
      return out;
    };
    const [fused, plain] = [run(true), run(false)];
    expect(fused.value).toBeCloseTo(plain.value, 4);
    for (const [i, g] of fused.grads.entries()) {
      for (const [e, x] of g.entries()) expect(x).toBeCloseTo(plain.grads[i]?.[e] as number, 4);
    }
    // Row 0 reads exactly its first value; no gradient reaches a masked value.
    const read = attentionRead(q, keys, values, bias, 0.5);
    expect(Array.from(read.dataSync().slice(0, v))).toEqual(Array.from(values.dataSync().slice(0, v)));
    expect(fused.grads[2]?.slice(v, j * v).every((x) => x === 0)).toBe(true);
    tf.dispose([q, keys, values, bias, dy, read]);
  });
});

describe("EpipolarReader", () => {
  it("reads with the gradient of finite differences with respect to h and its weights", () => {
    const [b, k, s, grid, c] = [1, 2, 8, 2, 4];
    const reader = new EpipolarReader({
      config: {
        type: "epipolar",
        fovDegrees: 60,
        near: 0.5,
        far: 7,
        depths: 4,
        summaryChannels: 2,
        hiddenChannels: 6,
        keyChannels: 5,
        valueChannels: 3,
      },
      seed: 2,
    });
    reader.buildFor(3, c);
    const views = tf.tidy(() => ({
      frames: tf.randomUniform([b, k, s, s, 3], 0, 1, "float32", 1) as tf.Tensor5D,
      poses: tf.tensor3d(ringPoses([0.2, 1.1]), [b, k, 7]),
      features: tf.randomUniform([b, k, 2, 2, 3], -1, 1, "float32", 2) as tf.Tensor5D,
    }));
    const query = tf.tensor2d(ringPoses([0.6]), [b, 7]);
    const h = tf.randomUniform([b, grid, grid, c], -1, 1, "float32", 4) as tf.Tensor4D;
    const key = reader.trainableWeights.find((w) => w.name.endsWith("memory/kernel"));
    const readSum = (hh: tf.Tensor) =>
      tf.tidy(() => {
        const reads = reader.prepare(views, query, grid);
        const read = (reads.read as NonNullable<typeof reads.read>)(hh as tf.Tensor4D, "generator");
        return tf.add(tf.sum(tf.square(read)), tf.sum(tf.square(reads.condition as tf.Tensor)));
      });
    const numericGrad = (values: Float32Array, evaluate: (v: Float32Array) => number, count: number) =>
      Array.from({ length: count }, (_, i) => {
        const plus = Float32Array.from(values);
        const minus = Float32Array.from(values);
        plus[i] = (plus[i] as number) + 1e-2;
        minus[i] = (minus[i] as number) - 1e-2;
        return (evaluate(plus) - evaluate(minus)) / 2e-2;
      });
    const dh = tf.grad(readSum)(h);
    const numericH = numericGrad(
      h.dataSync() as Float32Array,
      (v) => readSum(tf.tensor(v, h.shape)).dataSync()[0] as number,
      8,
    );
    for (const [i, n] of numericH.entries()) expect(dh.dataSync()[i]).toBeCloseTo(n, 2);
    expect(numericH.some((n) => Math.abs(n) > 1e-3)).toBe(true);
    // The memory kernel's gradient, through the whole memory (sampling, statistics, embedding).
    const variable = key?.read() as tf.Variable;
    const { grads } = tf.variableGrads(() => readSum(h) as tf.Scalar, [variable]);
    const analytic = (grads[variable.name] as tf.Tensor).dataSync();
    const original = Float32Array.from(variable.dataSync());
    const numericKey = numericGrad(
      original,
      (v) => {
        variable.assign(tf.tensor(v, variable.shape));
        return readSum(h).dataSync()[0] as number;
      },
      8,
    );
    variable.assign(tf.tensor(original, variable.shape));
    for (const [i, n] of numericKey.entries()) expect(analytic[i]).toBeCloseTo(n, 2);
    expect(numericKey.some((n) => Math.abs(n) > 1e-3)).toBe(true);
    tf.dispose([views.frames, views.poses, views.features, query, h, dh, ...Object.values(grads)]);
    reader.dispose();
  });
});
