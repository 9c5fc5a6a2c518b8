// gqn-render on a real tiny GQN's checkpoint: test scenes beside their targets, an orbit as PNG
// frames and a GIF, and one line for what it cannot do.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/capture-io.js";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { writeCheckpoint } from "../../test/write-checkpoint.js";
import { runRenderCli } from "./run-render-cli.js";

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  data = await syntheticDataset();
  root = await mkdtemp(join(tmpdir(), "gqn-render-"));
  await writeCheckpoint(join(root, "run"), { step: 3, dataset: data.dataset });
});
afterAll(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

const capture = captureIo;

/** gqn-render's arguments for the model in `modelDir` (default the run's) on the data, to `out`. */
const renderArgs = (out: string, modelDir = join(root, "run")) => [
  ...["--model-dir", modelDir, "--data-dir", data.dataDir, "--dataset", data.dataset],
  ...["--out", out],
];

describe("gqn-render", () => {
  it("says so when a dataset has no test split and it renders training scenes", async () => {
    const trainOnly = await syntheticDataset({ trainScenes: 4, testScenes: 0 });
    try {
      const { out: text, io } = capture();
      const argv = [
        "--model-dir",
        join(root, "run"),
        "--data-dir",
        trainOnly.dataDir,
        "--dataset",
        trainOnly.dataset,
      ];
      const code = await runRenderCli([...argv, "--out", join(root, "train-only"), "--scenes", "2"], io);
      expect(code, text.stderr).toBe(0);
      expect(text.stderr).toContain(
        `[gqn] ${trainOnly.dataset} has no test split: rendering scenes of its train split, which the model may have seen.`,
      );
    } finally {
      await trainOnly.cleanup();
    }
  });

  it("renders test scenes beside their targets and an orbit as PNG frames and a GIF", async () => {
    const modelDir = join(root, "run");
    const out = join(root, "renders");
    const { out: text, io } = capture();
    const code = await runRenderCli(
      [...renderArgs(out, modelDir), "--scenes", "3", "--orbit", "5", "--zoom", "3", "--samples", "2"],
      io,
    );
    expect(text.stderr).toBe("");
    expect(code).toBe(0);
    expect(text.stdout).toMatch(/step 3: 3 scenes, 5 orbit frames/);
    expect((await readdir(out)).sort()).toEqual([
      "orbit",
      "orbit.gif",
      "scene-000.png",
      "scene-001.png",
      "scene-002.png",
      "scenes.png",
    ]);
    expect(await readdir(join(out, "orbit"))).toHaveLength(5);
    const gif = await readFile(join(out, "orbit.gif"));
    expect(gif.subarray(0, 6).toString("latin1")).toBe("GIF89a");
    // --zoom 3: the 32 px frames are 96 px wide (the GIF's logical screen, the PNGs' IHDR).
    expect(gif.readUInt16LE(6)).toBe(96);
    const frame = await readFile(join(out, "orbit", "frame-000.png"));
    expect(frame.readUInt32BE(16)).toBe(96);
  });

  it("--scenes 0 without --orbit is a usage error, not a data error", async () => {
    const { out, io } = capture();
    const code = await runRenderCli([...renderArgs(join(root, "r0")), "--scenes", "0"], io);
    expect(code).toBe(2);
    expect(out.stderr).toBe(
      "gqn-render: --scenes 0 without --orbit renders nothing. Give --scenes N >= 1, or --orbit FRAMES.\n",
    );
  });

  it("an unreadable checkpoint or bad flags: one line and a non-zero exit", async () => {
    const broken = join(root, "broken", "checkpoints", "ckpt-1");
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, "state.json"), "{not json");
    const { out, io } = capture();
    const code = await runRenderCli(renderArgs(join(root, "r2"), join(root, "broken")), io);
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/^gqn-render: loadCheckpoint: cannot read .*state\.json.*\n$/);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
    const noData = capture();
    const args = [
      "--model-dir",
      join(root, "run"),
      "--data-dir",
      join(root, "nope"),
      "--dataset",
      data.dataset,
    ];
    expect(await runRenderCli([...args, "--out", join(root, "r3")], noData.io)).toBe(1);
    expect(noData.out.stderr).toBe(
      `gqn-render: renderCheckpoint: dataDir ${join(root, "nope")} is not a directory.\n`,
    );
    const bad = capture();
    expect(
      await runRenderCli(
        ["--model-dir", "m", "--data-dir", "d", "--dataset", "x", "--out", "o", "--orbit", "0"],
        bad.io,
      ),
    ).toBe(2);
    expect(bad.out.stderr).toMatch(/--orbit <frames>' argument '0' is invalid/);
    // Counts that would allocate without bound are refused at the flag, in one line.
    for (const [flag, value, range] of [
      ["--zoom", "5000", "[1, 64]"],
      ["--samples", "100000", "[1, 1000]"],
      ["--orbit", "100000", "[1, 3600]"],
    ] as const) {
      const huge = capture();
      const argv = ["--model-dir", "m", "--data-dir", "d", "--dataset", "x", "--out", "o", flag, value];
      expect(await runRenderCli(argv, huge.io), flag).toBe(2);
      expect(huge.out.stderr).toContain(`argument '${value}' is invalid. expected an integer in ${range}.`);
    }
  });
});
