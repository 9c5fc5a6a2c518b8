import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TrainProgress } from "./train-progress.js";

describe("TrainProgress", () => {
  it("shows step, ELBO, NLL, KL, lr, sigma and steps/s, with log lines above", () => {
    let out = "";
    const stream = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    });
    const progress = new TrainProgress({ total: 100, start: 10, stream });
    progress.update(12, { elbo: 6950.25, nll: 6900.5, kl: 49.75, lr: 5e-4, sigma: 1.9, stepsPerSecond: 3.5 });
    progress.log("eval at step 12: PSNR 20.1 dB");
    progress.stop();
    expect(out).toContain("eval at step 12: PSNR 20.1 dB");
    expect(out).toMatch(
      /12\/100 \| ELBO 6950\.3 \| NLL 6900\.5 \| KL 49\.75 \| lr 5\.00e-4 \| sigma 1\.900 \| 3\.50 steps\/s/,
    );
  });

  it("shows the records skipped per file, when any", () => {
    let out = "";
    const stream = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    });
    const progress = new TrainProgress({ total: 10, start: 0, stream });
    const values = { elbo: 1, nll: 1, kl: 0, lr: 1e-3, sigma: 0.5, stepsPerSecond: 1 };
    progress.update(1, {
      ...values,
      skipped: { "/d/train/1-of-2.tfrecord": 2, "/d/train/2-of-2.tfrecord": 1 },
    });
    progress.stop();
    expect(out).toMatch(/steps\/s \| skipped 3 \(1-of-2\.tfrecord 2, 2-of-2\.tfrecord 1\) \| ETA/);
  });
});
