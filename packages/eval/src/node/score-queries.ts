// Scores renders of a split's query views against the targets, beside four baselines on the very
// same queries: the mean training image, the nearest context view, the average of the context
// views and a plane sweep through them. The main job and checkpoint evaluations share it, so their
// figures compare.
import {
  type DatasetInfo,
  datasetDepthRange,
  datasetFovDegrees,
  PUBLISHED_DEPTH_RANGES,
  PUBLISHED_FOV_DEGREES,
} from "@gqn/data";
import { createSceneBatches, type SceneBatch } from "@gqn/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { contextAverage, MeanImage, nearestContextView, ScoreMeter } from "../baselines.js";
import type { ObjectScore } from "../object-scores.js";
import { type PlaneSweepOptions, planeSweep } from "../plane-sweep.js";
import { QueryObjectScores } from "./query-object-scores.js";

/** Where the scenes come from. */
export interface DatasetRef {
  dataDir: string;
  dataset: string;
  /** Decoding worker threads (0: on this thread); default @gqn/data's. */
  workers?: number;
  /** Frames resized to this size (a model's); default the dataset's. */
  frameSize?: number;
  /** Where the data pipeline's notes go (a partial download...); default `console.warn`. */
  warn?: (message: string) => void;
}

/** Mean squared error, PSNR (dB) and mean SSIM over a whole split, of images in [0, 1]. */
export interface Score {
  mse: number;
  psnr: number;
  /** NaN for frames smaller than SSIM's 11 px window. */
  ssim: number;
  /** On the query views' objects and background; only where the dataset has object masks. */
  objects?: ObjectScore;
}

/** The baselines every renderer is scored beside. */
export type BaselineName = "meanImage" | "nearestView" | "contextAverage" | "planeSweep";

/**
 * A value per baseline; `planeSweep` only where the cameras' optics are known (the dataset's
 * `dataset.json` or published assumptions, or the caller's overrides): see {@link cameraOptics}.
 */
export type BaselineRecord<T> = Record<Exclude<BaselineName, "planeSweep">, T> & { planeSweep?: T };

/** The optics the plane sweep needs: `datasetFovDegrees` and `datasetDepthRange`. */
export type CameraOptics = Pick<PlaneSweepOptions, "fovDegrees" | "depthRange">;

/** Renders the query view of each scene of a batch, `[B, H, W, 3]`, owned by the caller. */
export type RenderQueries = (batch: SceneBatch) => tf.Tensor4D | Promise<tf.Tensor4D>;

/** Options of {@link scoreQueries}. */
export interface ScoreQueriesOptions<R extends string> {
  /** The renderers to score, by name (e.g. one prior sample, and the mean of 16). */
  renderers: Readonly<Record<R, RenderQueries>>;
  /** The mean training image `[H, W, 3]` (borrowed): {@link meanTrainingImage}. */
  mean: tf.Tensor3D;
  /** Context views per scene; the query is the next view. */
  contextSize: number;
  batchSize: number;
  /** Seeds which views are context and query: the same seed gives the same queries. */
  seed: number;
  /** The split scored; default "test". */
  split?: "train" | "test";
  /** Score only the first N scenes; default all. */
  scenes?: number;
  /** Called with each batch scored (borrowed), e.g. to measure the ELBO on the same scenes. */
  onBatch?: (batch: SceneBatch) => void | Promise<void>;
  /** Called after each batch with the scenes scored so far. */
  onProgress?: (scenes: number) => void;
  /** The cameras' field of view and depth range for the plane sweep, over the dataset's (`--fov`, `--depth-range`). */
  optics?: Partial<CameraOptics>;
}

/** What {@link scoreQueries} returns. */
export interface QueryScores<R extends string> {
  /** Scenes scored (one query view each). */
  scenes: number;
  /** Whether the dataset has object masks, so that each score has `objects`. */
  objectMasks: boolean;
  renders: Record<R, Score>;
  baselines: BaselineRecord<Score>;
  /** The first batch, for a picture (owned by the caller: {@link disposeFirstBatch}). */
  firstBatch?: {
    contextFrames: tf.Tensor5D;
    target: tf.Tensor4D;
    renders: Record<R, tf.Tensor4D>;
    baselines: BaselineRecord<tf.Tensor4D>;
  };
}

/** What a baseline may use besides the batch. */
interface BaselineInputs {
  mean: tf.Tensor3D;
  optics: CameraOptics | undefined;
}

const BASELINES: Readonly<
  Record<BaselineName, (batch: SceneBatch, inputs: BaselineInputs) => tf.Tensor4D | Promise<tf.Tensor4D>>
> = {
  meanImage: (batch, { mean }) =>
    tf.tidy(() => tf.broadcastTo(tf.expandDims(mean, 0), batch.target.shape) as tf.Tensor4D),
  nearestView: (batch) => nearestContextView(batch.contextFrames, batch.contextPoses, batch.queryPose),
  contextAverage: (batch) => contextAverage(batch.contextFrames),
  planeSweep: (batch, { optics }) => {
    // scoreQueries leaves the plane sweep out where the optics are unknown.
    if (optics === undefined) throw new Error("scoreQueries: the plane sweep needs the cameras' optics.");
    return planeSweep(batch.contextFrames, batch.contextPoses, batch.queryPose, optics);
  },
};

/**
 * The field of view and depth range of a dataset's cameras: the overrides, else its dataset.json's,
 * else the published sets' assumed ones (`datasetFovDegrees`, `datasetDepthRange`). Undefined, with
 * a note through `warn`, where none is known, or where a gqn-synth dataset predates the fields (the
 * published sets' assumptions are not its renderer's optics): the plane sweep is then left out.
 * Throws INVALID_CONFIG (from those helpers) for values that are there but wrong.
 */
export function cameraOptics(
  info: DatasetInfo,
  overrides: Partial<CameraOptics> = {},
  warn: (message: string) => void = console.warn,
): CameraOptics | undefined {
  const known = (own: unknown, published: unknown) =>
    own !== undefined || (published !== undefined && info.synthetic !== true);
  const missing = [
    overrides.fovDegrees === undefined &&
      !known(info.fovDegrees, PUBLISHED_FOV_DEGREES[info.name]) &&
      "fovDegrees",
    overrides.depthRange === undefined &&
      !known(info.depthRange, PUBLISHED_DEPTH_RANGES[info.name]) &&
      "depthRange",
  ].filter((field) => field !== false);
  if (missing.length > 0) {
    warn(
      `no plane sweep baseline: dataset "${info.name}" declares no ${missing.join(" or ")} in its dataset.json${info.synthetic ? " (render it again with gqn-synth, which writes them)" : ""}; add them, or pass --fov and --depth-range.`,
    );
    return undefined;
  }
  return {
    fovDegrees: datasetFovDegrees(info, overrides.fovDegrees),
    depthRange: datasetDepthRange(info, overrides.depthRange),
  };
}

/**
 * The per-pixel mean of `images` training frames (queries of shuffled training scenes, which are
 * uniformly drawn views). Owned by the caller.
 */
export async function meanTrainingImage(
  data: DatasetRef,
  options: { images: number; seed: number },
): Promise<tf.Tensor3D> {
  const mean = new MeanImage();
  const batches = createSceneBatches({
    ...data,
    split: "train",
    batchSize: 32,
    contextSize: 1,
    seed: options.seed,
    repeat: false,
  });
  try {
    for await (const batch of batches) {
      await mean.add(batch.target);
      batch.dispose();
      if (mean.images >= options.images) break;
    }
  } finally {
    await batches.close();
  }
  return mean.result();
}

/**
 * MSE and PSNR over a split of every renderer and every baseline, on the very same queries: one
 * pass, fixed seed, no repeat. Predictions are clipped to [0, 1], as they are when shown.
 */
export async function scoreQueries<R extends string>(
  data: DatasetRef,
  options: ScoreQueriesOptions<R>,
): Promise<QueryScores<R>> {
  const names = Object.keys(options.renderers) as R[];
  const renderMeters = Object.fromEntries(names.map((n) => [n, new ScoreMeter()])) as Record<R, ScoreMeter>;
  let scenes = 0;
  let firstBatch: QueryScores<R>["firstBatch"];
  const limit = options.scenes ?? Number.POSITIVE_INFINITY;
  const batches = createSceneBatches({
    ...data,
    split: options.split ?? "test",
    batchSize: options.batchSize,
    contextSize: options.contextSize,
    seed: options.seed,
    repeat: false,
  });
  const kept: tf.Tensor[] = [];
  let optics: CameraOptics | undefined;
  try {
    optics = cameraOptics(await batches.info(), options.optics, data.warn);
  } catch (error) {
    await batches.close();
    throw error;
  }
  const inputs: BaselineInputs = { mean: options.mean, optics };
  const baselineNames = (Object.keys(BASELINES) as BaselineName[]).filter(
    (name) => name !== "planeSweep" || optics !== undefined,
  );
  const baselineMeters = Object.fromEntries(baselineNames.map((n) => [n, new ScoreMeter()])) as Record<
    BaselineName,
    ScoreMeter
  >;
  const objects = await QueryObjectScores.open(data, options.split ?? "test");
  // Renders and baselines apart, whatever the renderers are named.
  const objectKeys = (group: string, images: Record<string, tf.Tensor4D>) =>
    Object.fromEntries(Object.entries(images).map(([name, image]) => [`${group}:${name}`, image]));
  try {
    for await (const whole of batches) {
      const take = Math.min(whole.target.shape[0], limit - scenes);
      const batch = take < whole.target.shape[0] ? sliceBatch(whole, take) : whole;
      const renders = {} as Record<R, tf.Tensor4D>;
      const baselines = {} as Record<BaselineName, tf.Tensor4D>;
      const made = () => [...Object.values<tf.Tensor>(renders), ...Object.values<tf.Tensor>(baselines)];
      try {
        for (const name of names) renders[name] = await options.renderers[name](batch);
        for (const name of baselineNames) baselines[name] = await BASELINES[name](batch, inputs);
        for (const name of names) await renderMeters[name].add(renders[name], batch.target);
        for (const name of baselineNames) await baselineMeters[name].add(baselines[name], batch.target);
        await objects?.add(batch, { ...objectKeys("render", renders), ...objectKeys("baseline", baselines) });
        await options.onBatch?.(batch);
        scenes += batch.target.shape[0];
        if (firstBatch === undefined) {
          firstBatch = {
            contextFrames: tf.clone(batch.contextFrames),
            target: tf.clone(batch.target),
            renders,
            baselines,
          };
          kept.push(firstBatch.contextFrames, firstBatch.target, ...made());
        } else {
          tf.dispose(made());
        }
      } catch (error) {
        if (firstBatch?.renders !== renders) tf.dispose(made());
        throw error;
      } finally {
        if (batch !== whole) batch.dispose();
        whole.dispose();
      }
      options.onProgress?.(scenes);
      if (scenes >= limit) break;
    }
  } catch (error) {
    // A failed pass returns nothing, so the tensors kept for the picture would leak.
    tf.dispose(kept);
    throw error;
  } finally {
    await batches.close();
    await objects?.close();
  }
  if (scenes === 0) {
    throw new Error(
      `scoreQueries: the ${options.split ?? "test"} split of ${data.dataset} in ${data.dataDir} has no scenes.`,
    );
  }
  const score = (meter: ScoreMeter, key: string): Score => ({
    mse: meter.mse,
    psnr: meter.psnr,
    ssim: meter.ssim,
    ...(objects && { objects: objects.result(key) }),
  });
  const result: QueryScores<R> = {
    scenes,
    objectMasks: objects !== undefined,
    renders: Object.fromEntries(names.map((n) => [n, score(renderMeters[n], `render:${n}`)])) as Record<
      R,
      Score
    >,
    baselines: Object.fromEntries(
      baselineNames.map((n) => [n, score(baselineMeters[n], `baseline:${n}`)]),
    ) as BaselineRecord<Score>,
  };
  if (firstBatch !== undefined) result.firstBatch = firstBatch;
  return result;
}

/** Releases the tensors of a {@link QueryScores.firstBatch}. */
export function disposeFirstBatch(first: QueryScores<string>["firstBatch"]): void {
  if (first === undefined) return;
  tf.dispose([
    first.contextFrames,
    first.target,
    ...Object.values(first.renders),
    ...Object.values(first.baselines),
  ]);
}

/** The first `n` scenes of a batch (a new batch that owns its tensors). */
function sliceBatch(batch: SceneBatch, n: number): SceneBatch {
  const head = <T extends tf.Tensor>(t: T): T => tf.slice(t, 0, n) as T;
  const sliced = {
    contextFrames: head(batch.contextFrames),
    contextPoses: head(batch.contextPoses),
    queryPose: head(batch.queryPose),
    target: head(batch.target),
  };
  return { ...sliced, scenes: batch.scenes.slice(0, n), dispose: () => tf.dispose(Object.values(sliced)) };
}
