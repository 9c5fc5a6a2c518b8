// gqn-train's config flags: what each one overrides, a --config file underneath them, and the
// errors for a bad file.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withOverrides } from "./model-overrides.js";
import { configOverrides } from "./run-train-cli.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gqn-config-"));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe("gqn-train config flags", () => {
  it("--resume --encoder without --preset is laid over the run's own config, not the small preset's", async () => {
    const { model } = await configOverrides({ resume: true, encoder: "pool" });
    expect(model).toEqual({ encoder: { type: "pool" } });
    // A tiny pool run (32 channels): the same encoder asks for nothing new; another type does.
    const tinyRun = {
      frameSize: 32,
      encoder: { type: "pool", frameSize: 32, channels: 32 },
      draw: { steps: 4 },
    };
    expect(withOverrides(tinyRun, model)).toEqual(tinyRun);
    const tower = await configOverrides({ resume: true, encoder: "tower" });
    expect(withOverrides(tinyRun, tower.model)).toEqual({
      ...tinyRun,
      encoder: { type: "tower", frameSize: 32, channels: 32 },
    });
  });

  it("map the seed's knobs onto the model and training configs", async () => {
    const { model, training } = await configOverrides({
      preset: "tiny",
      frameSize: 64,
      encoder: "tower",
      drawSteps: { min: 2, max: 12 },
      lr: { start: 5e-5, end: 5e-6, steps: 1.6e6 },
      sigma: { start: 2, end: 0.7, steps: 2e5 },
      adamBeta1: 0.8,
    });
    expect(model).toEqual({
      frameSize: 64,
      encoder: { type: "tower", channels: 32 }, // tiny's width, not the tower's default 256
      draw: { steps: 12 },
    });
    expect(training).toEqual({
      drawSteps: { min: 2, max: 12 },
      learningRate: { start: 5e-5, end: 5e-6, steps: 1.6e6 },
      sigma: { start: 2, end: 0.7, steps: 2e5 },
      adam: { beta1: 0.8, beta2: 0.999, epsilon: 1e-8 },
    });
    // A fixed L is the model's L; nothing is drawn.
    const fixed = await configOverrides({ preset: "tiny", drawSteps: 6 });
    expect(fixed).toEqual({ model: { draw: { steps: 6 } }, training: {} });
  });

  it("size a new CPU-preset run's default schedules to its --steps, and nothing else", async () => {
    // tiny and small: sigma 2.0 -> 0.7 and Adam 1e-3 -> 1e-4, over the run's steps.
    expect(await configOverrides({ preset: "tiny", steps: 3000 })).toEqual({
      model: {},
      training: {
        sigma: { start: 2, end: 0.7, steps: 3000 },
        learningRate: { start: 1e-3, end: 1e-4, steps: 3000 },
      },
    });
    // A schedule the user gives is theirs; only the other one is sized.
    const sigma = { start: 0.4, end: 0.3, steps: 2e5 };
    expect((await configOverrides({ preset: "small", steps: 800, sigma })).training).toEqual({
      sigma,
      learningRate: { start: 1e-3, end: 1e-4, steps: 800 },
    });
    // ... from a --config file too.
    const file = join(root, "schedules.json");
    await writeFile(
      file,
      JSON.stringify({ training: { learningRate: { start: 5e-4, end: 5e-5, steps: 100 } } }),
    );
    expect((await configOverrides({ preset: "tiny", steps: 500, config: file })).training).toEqual({
      learningRate: { start: 5e-4, end: 5e-5, steps: 100 },
      sigma: { start: 2, end: 0.7, steps: 500 },
    });
    // A resumed run keeps the schedules its checkpoint carries; the paper presets keep the paper's.
    expect((await configOverrides({ preset: "tiny", steps: 9000, resume: true })).training).toEqual({});
    expect((await configOverrides({ preset: "tf-gqn", steps: 1000 })).training).toEqual({});
    // A fine-tune from --init-from holds its source's sigma: only its learning rate is sized.
    expect((await configOverrides({ preset: "tiny", steps: 3, initFrom: "shipped" })).training).toEqual({
      learningRate: { start: 1e-3, end: 1e-4, steps: 3 },
    });
    expect((await configOverrides({ steps: 1000 })).training).toEqual({
      sigma: { start: 2, end: 0.7, steps: 1000 },
      learningRate: { start: 1e-3, end: 1e-4, steps: 1000 },
    }); // the default preset, small
  });

  it("--reader epipolar adds the reader, its optics left to the dataset unless --fov / --depth-range give them", async () => {
    expect((await configOverrides({ reader: "epipolar" })).model).toEqual({ reader: { type: "epipolar" } });
    expect((await configOverrides({ reader: "epipolar", fov: 45, depthRange: [0.5, 6] })).model).toEqual({
      reader: { type: "epipolar", fovDegrees: 45, near: 0.5, far: 6 },
    });
    expect((await configOverrides({ reader: "epipolar-attention" })).model).toEqual({
      reader: { type: "epipolar", valueChannels: 32 },
    });
    expect((await configOverrides({ reader: "none" })).model).toEqual({ reader: null });
    await expect(configOverrides({ fov: 45 })).rejects.toThrow(
      "gqn-train: --fov and --depth-range set the epipolar reader's optics: add --reader epipolar.",
    );
  });

  it("take a --config file underneath the flags", async () => {
    const file = join(root, "config.json");
    await writeFile(
      file,
      JSON.stringify({
        model: { draw: { hiddenChannels: 48, steps: 5 } },
        training: { learningRate: { start: 1e-3, end: 1e-4, steps: 100 }, batchSize: 4 },
      }),
    );
    const { model, training } = await configOverrides({ preset: "small", config: file, drawSteps: 3 });
    expect(model).toEqual({ draw: { hiddenChannels: 48, steps: 3 } });
    expect(training).toEqual({ learningRate: { start: 1e-3, end: 1e-4, steps: 100 }, batchSize: 4 });
  });

  it("name a config file that is not JSON, or has other keys", async () => {
    const broken = join(root, "broken.json");
    await writeFile(broken, "{ model: ");
    await expect(configOverrides({ preset: "tiny", config: broken })).rejects.toThrow(
      /--config .*broken\.json: /,
    );
    const other = join(root, "other.json");
    await writeFile(other, JSON.stringify({ model: {}, optimizer: {} }));
    await expect(configOverrides({ preset: "tiny", config: other })).rejects.toThrow(
      /expected an object with "model" and\/or "training", but got the keys optimizer/,
    );
  });
});
