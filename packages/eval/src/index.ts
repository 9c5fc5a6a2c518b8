// Platform-neutral entry: scoring renders against their targets (MSE, PSNR, SSIM) and the
// baselines they are scored beside (the mean image, the nearest context view, the context
// average, a plane sweep). Runs in a browser too; checkpoints and datasets on disk are /node's.
export { contextAverage, MeanImage, nearestContextView, ScoreMeter, ssim } from "./baselines.js";
export type { ObjectScore } from "./object-scores.js";
export { type PlaneSweepOptions, planeSweep } from "./plane-sweep.js";
