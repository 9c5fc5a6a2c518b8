import { assertShape, FUSED_KERNELS, GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/** Where the points along the query rays are taken: the cameras' optics and the depth range. */
export interface EpipolarGeometry {
  /** The cameras' field of view, degrees (square frames: vertical = horizontal). */
  fovDegrees: number;
  /** Height and width of the frames, pixels. */
  frameSize: number;
  /** The query's cells per side: one ray through each cell's centre (DRAW's core grid). */
  grid: number;
  /** Points per ray. */
  depths: number;
  /** Nearest and farthest point along each ray, world units (distance from the query camera). */
  near: number;
  far: number;
}

/**
 * Where each query cell's ray lands in each context view, for a batch: `n` points along the ray
 * through each cell's centre, projected into the K context cameras. Tensors `[B, G, K, n]`
 * (`G = grid * grid` cells, row-major from the top-left) in continuous pixel coordinates (pixel
 * (i, j) spans `[j, j + 1) x [i, i + 1)`, as `@gqn/data`'s `projectPoint`).
 */
export interface EpipolarSamples {
  /** Pixel column of each point in each context view. */
  readonly x: tf.Tensor4D;
  /** Pixel row, from the top. */
  readonly y: tf.Tensor4D;
  /** 1 where the point lies in front of that context camera and inside its image, else 0. */
  readonly valid: tf.Tensor4D;
  /** `[n]`: each point's position along the ray in [0, 1] (0 nearest). */
  readonly depthCode: tf.Tensor1D;
  readonly frameSize: number;
}

/**
 * The depths along a ray: bin centres evenly spaced from `near` to `far`. (Uniform in inverse
 * depth, the usual plane-sweep choice, crowds the samples at the camera when `near` is small: a
 * rooms range of [0.1, 8.1] put all 16 points within 2.3 units, short of every object.)
 */
export function rayDepths(near: number, far: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let j = 0; j < count; j++) out[j] = near + ((j + 0.5) / count) * (far - near);
  return out;
}

/** Checks an {@link EpipolarGeometry}; throws INVALID_CONFIG naming the field. */
export function checkEpipolarGeometry(g: EpipolarGeometry, where: string): void {
  const bad = (field: string, want: string, got: unknown) =>
    new GqnError("INVALID_CONFIG", `${where}: ${field} must be ${want}, but got ${JSON.stringify(got)}.`);
  if (!(g.fovDegrees > 0 && g.fovDegrees < 180)) throw bad("fovDegrees", "in (0, 180)", g.fovDegrees);
  if (!(Number.isFinite(g.near) && g.near > 0)) throw bad("near", "a positive number", g.near);
  if (!(Number.isFinite(g.far) && g.far > g.near))
    throw bad("far", `a finite number > near ${g.near}`, g.far);
  for (const key of ["frameSize", "grid", "depths"] as const) {
    if (!(Number.isInteger(g[key]) && g[key] > 0)) throw bad(key, "a positive integer", g[key]);
  }
}

/** A pose's camera frame `[..., 3]` each: centre, viewing direction, image right, image up. */
function cameraFrames(poses: tf.Tensor): { o: tf.Tensor; f: tf.Tensor; r: tf.Tensor; u: tf.Tensor } {
  const axis = poses.rank - 1;
  const [x, y, z, sy, cy, sp, cp] = tf.split(poses, 7, axis) as tf.Tensor[] as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
  const zero = tf.zerosLike(x);
  return {
    o: tf.concat([x, y, z], axis),
    f: tf.concat([tf.mul(cp, cy), sp, tf.mul(cp, sy)], axis),
    r: tf.concat([tf.neg(sy), zero, cy], axis),
    u: tf.concat([tf.neg(tf.mul(sp, cy)), cp, tf.neg(tf.mul(sp, sy))], axis),
  };
}

/**
 * The epipolar samples of a batch (see {@link EpipolarSamples}), computed with tensor ops on the
 * poses alone: no weight takes part, so compute them once per batch, before DRAW's steps.
 *
 * @param contextPoses - `[B, K, 7]`. Borrowed.
 * @param queryPose - `[B, 7]`. Borrowed.
 * @returns tensors owned by the caller.
 */
export function epipolarSamples(
  contextPoses: tf.Tensor3D,
  queryPose: tf.Tensor2D,
  geometry: EpipolarGeometry,
): EpipolarSamples {
  checkEpipolarGeometry(geometry, "epipolarSamples");
  const [b, k] = contextPoses.shape;
  assertShape(contextPoses.shape, [b, k, 7], "epipolarSamples", "contextPoses");
  assertShape(queryPose.shape, [b, 7], "epipolarSamples", "queryPose");
  const { grid: g, depths: n, frameSize: s } = geometry;
  const tanHalf = Math.tan((geometry.fovDegrees * Math.PI) / 360);
  // Image-plane offsets of the cells' centres at unit depth (right, up), the ray caster's mapping.
  const right = new Float32Array(g * g);
  const up = new Float32Array(g * g);
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      right[i * g + j] = ((2 * (j + 0.5)) / g - 1) * tanHalf;
      up[i * g + j] = (1 - (2 * (i + 0.5)) / g) * tanHalf;
    }
  }
  const code = new Float32Array(n).map((_, j) => (j + 0.5) / n);
  return tf.tidy(() => {
    const q = cameraFrames(queryPose); // [B, 3] each
    const a = tf.tensor3d(right, [1, g * g, 1]);
    const c = tf.tensor3d(up, [1, g * g, 1]);
    const dir = tf.add(
      tf.expandDims(q.f, 1),
      tf.add(tf.mul(a, tf.expandDims(q.r, 1)), tf.mul(c, tf.expandDims(q.u, 1))),
    ); // [B, G, 3]
    const unit = tf.div(dir, tf.norm(dir, "euclidean", 2, true)); // [B, G, 3]
    const t = tf.tensor4d(rayDepths(geometry.near, geometry.far, n), [1, 1, n, 1]);
    const points = tf.add(tf.reshape(q.o, [b, 1, 1, 3]), tf.mul(tf.expandDims(unit, 2), t)); // [B, G, n, 3]
    const views = cameraFrames(contextPoses); // [B, K, 3] each
    const at = (v: tf.Tensor) => tf.reshape(v, [b, 1, k, 1, 3]);
    const d = tf.sub(tf.expandDims(points, 2), at(views.o)); // [B, G, K, n, 3]
    const dot = (v: tf.Tensor) => tf.sum(tf.mul(d, at(v)), 4) as tf.Tensor4D; // [B, G, K, n]
    const depth = dot(views.f);
    const inFront = tf.greater(depth, 1e-3);
    const safe = tf.where(inFront, depth, tf.onesLike(depth)); // no division by ~0 behind a camera
    const x = tf.mul(tf.add(tf.div(tf.div(dot(views.r), safe), tanHalf), 1), s / 2) as tf.Tensor4D;
    const y = tf.mul(tf.sub(1, tf.div(tf.div(dot(views.u), safe), tanHalf)), s / 2) as tf.Tensor4D;
    const inside = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, s)),
      tf.logicalAnd(tf.greaterEqual(y, 0), tf.lessEqual(y, s)),
    );
    const counts = tf.logicalAnd(inFront, inside);
    // Points that do not count sit at the image's corner: finite, and weighted 0 when sampled.
    const zero = tf.zerosLike(x);
    // A select, not a cast: WebGPU's cast of bool to float32 keeps the bool buffer, which its
    // rank-5 transposes (in the sums over views) then read as integers, and fail to compile.
    const valid = tf.where(counts, tf.onesLike(x), zero) as tf.Tensor4D;
    return {
      x: tf.where(counts, x, zero) as tf.Tensor4D,
      y: tf.where(counts, y, zero) as tf.Tensor4D,
      valid,
      depthCode: tf.tensor1d(code),
      frameSize: s,
    };
  });
}

/** Releases the tensors of {@link epipolarSamples}. */
export function disposeEpipolarSamples(samples: EpipolarSamples): void {
  tf.dispose([samples.x, samples.y, samples.valid, samples.depthCode]);
}

/**
 * Bilinear samples of per-view maps at the epipolar points: `maps` `[B, K, H, W, C]` (any
 * resolution: a point's pixel coordinates are scaled from the frame size to the map's) to
 * `[B, G, K, n, C]`, zero where a point does not count. One op with a hand-written gradient,
 * a scatter-add into the maps: tfjs's gather gradient needs UnsortedSegmentSum, which the wasm
 * backend lacks. Where `@gqn/backend`'s fused bilinear kernels are registered (wasm, cpu) both
 * directions are one pass each; elsewhere four gathers and a ScatterNd, which every backend has.
 *
 * @param maps - `[B, K, H, W, C]`. Borrowed.
 * @returns owned by the caller; differentiable with respect to `maps`.
 */
export function sampleViews(
  maps: tf.Tensor5D,
  samples: EpipolarSamples,
  options: {
    /** Force the fused kernels' path (true) or the plain ops' (false); default: fused where registered. */ fused?: boolean;
  } = {},
): tf.Tensor5D {
  const [b, k, h, w, c] = maps.shape;
  const [sb, cells, sk, n] = samples.x.shape;
  if (sb !== b || sk !== k) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `sampleViews: maps must have shape [${sb}, ${sk}, H, W, C] (the samples' batch and views), but got [${maps.shape.join(", ")}].`,
    );
  }
  const m = b * cells * k * n;
  const rows = b * k * h * w;
  const backend = tf.getBackend();
  // The fused kernels take row numbers as float32: exact below 2^24.
  const fused =
    options.fused ??
    (rows < 2 ** 24 &&
      tf.getKernel(FUSED_KERNELS.bilinearSample, backend) !== undefined &&
      tf.getKernel(FUSED_KERNELS.bilinearSampleGrad, backend) !== undefined);
  const [indices, weights] = tf.tidy(() => {
    // Map coordinates of pixel centres, clamped: the border value extends to the image's edge.
    const mx = tf.clipByValue(tf.sub(tf.mul(samples.x, w / samples.frameSize), 0.5), 0, w - 1);
    const my = tf.clipByValue(tf.sub(tf.mul(samples.y, h / samples.frameSize), 0.5), 0, h - 1);
    const x0 = tf.floor(mx);
    const y0 = tf.floor(my);
    const x1 = tf.minimum(tf.add(x0, 1), w - 1);
    const y1 = tf.minimum(tf.add(y0, 1), h - 1);
    const fx = tf.sub(mx, x0);
    const fy = tf.sub(my, y0);
    const gx = tf.sub(1, fx);
    const gy = tf.sub(1, fy);
    // Index of each view's first map cell: (b * K + k) * H * W, as [B, 1, K, 1].
    const base = tf.mul(tf.reshape(tf.range(0, b * k, 1, "float32"), [b, 1, k, 1]), h * w);
    const flat = (yy: tf.Tensor, xx: tf.Tensor) => tf.reshape(tf.add(base, tf.add(tf.mul(yy, w), xx)), [m]);
    const weight = (u: tf.Tensor, v: tf.Tensor) => tf.reshape(tf.mul(tf.mul(u, v), samples.valid), [m]);
    const corners = tf.stack([flat(y0, x0), flat(y0, x1), flat(y1, x0), flat(y1, x1)]); // [4, M]
    return [
      fused ? corners : tf.cast(corners, "int32"),
      tf.stack([weight(gy, gx), weight(gy, fx), weight(fy, gx), weight(fy, fx)]), // [4, M]
    ] as [tf.Tensor2D, tf.Tensor2D];
  });
  try {
    if (fused) {
      const sample = tf.customGrad((table, save) => {
        (save as tf.GradSaveFunc)([indices, weights]);
        return {
          // A host kernel returns its outputs as a list.
          value: (
            tf.engine().runKernel(FUSED_KERNELS.bilinearSample, {
              table: table as tf.Tensor,
              indices,
              weights,
            }) as tf.Tensor[]
          )[0] as tf.Tensor,
          gradFunc: (dy, saved) => {
            const [idx, wts] = saved as [tf.Tensor2D, tf.Tensor2D];
            const grads = tf
              .engine()
              .runKernel(
                FUSED_KERNELS.bilinearSampleGrad,
                { dy: dy as tf.Tensor, indices: idx, weights: wts },
                { rows },
              ) as tf.Tensor[];
            return grads[0] as tf.Tensor;
          },
        };
      });
      return tf.tidy(
        () => tf.reshape(sample(tf.reshape(maps, [rows, c])), [b, cells, k, n, c]) as tf.Tensor5D,
      );
    }
    const sample = tf.customGrad((table, save) => {
      (save as tf.GradSaveFunc)([indices, weights]);
      const corners = tf.unstack(indices);
      const cornerWeights = tf.unstack(tf.expandDims(weights, 2)); // [M, 1] each
      const value = tf.addN(
        corners.map((index, i) =>
          tf.mul(tf.gather(table as tf.Tensor, index), cornerWeights[i] as tf.Tensor),
        ),
      ); // [M, C]
      return {
        value,
        gradFunc: (dy, saved) => {
          const [idx, wts] = saved as [tf.Tensor2D, tf.Tensor2D];
          const updates = tf.mul(tf.expandDims(dy as tf.Tensor, 0), tf.expandDims(wts, 2)); // [4, M, C]
          return tf.scatterND(tf.reshape(idx, [4 * m, 1]), tf.reshape(updates, [4 * m, c]), [rows, c]);
        },
      };
    });
    return tf.tidy(() => {
      const table = tf.reshape(maps, [rows, c]);
      return tf.reshape(sample(table), [b, cells, k, n, c]) as tf.Tensor5D;
    });
  } finally {
    tf.dispose([indices, weights]);
  }
}
