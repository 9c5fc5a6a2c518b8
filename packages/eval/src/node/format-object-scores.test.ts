import { describe, expect, it } from "vitest";
import { formatObjectScores } from "./format-object-scores.js";

const score = (psnr: number, objects?: { objectPsnr: number; iou: number }) => ({
  mse: 10 ** (-psnr / 10),
  psnr,
  ssim: 0.5,
  ...(objects && { objects: { ...objects, objectMse: 0, backgroundMse: 0, backgroundPsnr: 20 } }),
});

describe("formatObjectScores", () => {
  it("says that a dataset without masks has no object scores", () => {
    const plain = score(15);
    expect(
      formatObjectScores({
        dataset: "jaco",
        objectMasks: false,
        model: plain,
        predictiveMean: { ...plain, samples: 16 },
        baselines: { meanImage: plain, nearestView: plain, contextAverage: plain },
      }),
    ).toBe("  object scores: none, jaco has no object masks (gqn-synth writes them beside its datasets)\n");
  });

  it("prints object and background PSNR and IoU, with the gain over the context average's objects", () => {
    const table = formatObjectScores({
      dataset: "rooms_ring_camera",
      objectMasks: true,
      model: score(15, { objectPsnr: 9.5, iou: 0.31 }),
      predictiveMean: { ...score(16, { objectPsnr: Number.POSITIVE_INFINITY, iou: 1 }), samples: 16 },
      baselines: {
        meanImage: score(12, { objectPsnr: 7, iou: 0.1 }),
        nearestView: score(13, { objectPsnr: 7.5, iou: 0.2 }),
        contextAverage: score(14, { objectPsnr: 8, iou: 0.15 }),
        planeSweep: score(13, { objectPsnr: 8.75, iou: 0.18 }),
      },
    });
    expect(table).toMatch(/GQN, one prior sample +9\.50 dB +20\.00 dB +0\.310 +\+1\.50\n/);
    expect(table).toMatch(/GQN, mean of 16 prior samples +Infinity dB +20\.00 dB +1\.000 +n\/a\n/);
    expect(table).toMatch(/baseline: mean training image +7\.00 dB .* -1\.00\n/);
    expect(table).toMatch(/baseline: plane sweep +8\.75 dB +20\.00 dB +0\.180 +\+0\.75\n/);
  });
});
