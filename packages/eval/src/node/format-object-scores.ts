// The object rows of gqn-eval's table (and the main job's): PSNR over the query views' objects and
// background, and the object-placement IoU, beside the same baselines.
import { OBJECT_PIXEL_THRESHOLD } from "../object-scores.js";
import type { BaselineRecord, Score } from "./score-queries.js";

/** What {@link formatObjectScores} needs of a report. */
export interface ObjectScoresReport {
  dataset: string;
  objectMasks: boolean;
  model: Score;
  predictiveMean: Score & { samples: number };
  baselines: BaselineRecord<Score>;
}

/** The object scores as table lines, or one line saying the dataset has no object masks. */
export function formatObjectScores(report: ObjectScoresReport): string {
  if (!report.objectMasks) {
    return `  object scores: none, ${report.dataset} has no object masks (gqn-synth writes them beside its datasets)\n`;
  }
  const base = report.baselines.contextAverage.objects;
  const db = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : String(value)).padStart(7);
  const gain = (value: number, of: number | undefined) => {
    if (of === undefined || !Number.isFinite(value - of)) return "n/a".padStart(11);
    const d = value - of;
    return `${d >= 0 ? "+" : ""}${d.toFixed(2)}`.padStart(11);
  };
  const row = (label: string, score: Score) => {
    const o = score.objects;
    if (o === undefined) return `  ${label.padEnd(34)} n/a\n`;
    return `  ${label.padEnd(34)} ${db(o.objectPsnr)} dB  ${db(o.backgroundPsnr)} dB  ${o.iou.toFixed(3).padStart(6)}  ${gain(o.objectPsnr, base?.objectPsnr)}\n`;
  };
  const { meanImage, contextAverage, nearestView, planeSweep } = report.baselines;
  return [
    `  on the query views' objects (their masks); IoU of the pixels more than ${OBJECT_PIXEL_THRESHOLD} from the background:\n`,
    `  ${"".padEnd(34)} ${"objects".padStart(10)}  ${"background".padStart(10)}  ${"IoU".padStart(6)}  ${"vs ctx avg".padStart(11)}\n`,
    row("GQN, one prior sample", report.model),
    row(`GQN, mean of ${report.predictiveMean.samples} prior samples`, report.predictiveMean),
    row("baseline: context average", contextAverage),
    ...(planeSweep ? [row("baseline: plane sweep", planeSweep)] : []),
    row("baseline: nearest context view", nearestView),
    row("baseline: mean training image", meanImage),
  ].join("");
}
