// The fault corpus of issue 37: each defect an adversarial user found, replayed through the
// command lines, with the outcome it must have now: the work kept, a refusal, or one line with a
// way forward. The numbers are the issue's. Finer cases live beside the code (packages/*/src).
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import { train } from "@gqn/train/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Command, type Outcome, run, sha256 } from "./commands.js";

const DATASET = "rooms_ring_camera";
let root: string;
/** 16 train scenes in 4 shards, 8 test scenes in 2, with object masks; never changed (cases copy it). */
let data: string;
/** A run of 12 steps with checkpoints 4, 8 and 12; never changed (cases copy it). */
let base: string;
/** A file outside every run and dataset, which no case may change. */
let planted: string;
let plantedHash: string;

const TRAIN = ["--preset", "tiny", "--batch-size", "2", "--data-workers", "0", "--no-progress"];
const QUIET = ["--eval-every", "0", "--render-every", "0", "--no-tensorboard"];

function trainArgs(dataDir: string, modelDir: string, ...extra: string[]): string[] {
  return ["--data-dir", dataDir, "--dataset", DATASET, "--model-dir", modelDir, ...TRAIN, ...extra];
}

/** A fresh copy of `from` under the corpus root. */
function copy(from: string, name: string): string {
  const to = join(root, name);
  cpSync(from, to, { recursive: true });
  return to;
}

/** Flips one byte at `at` (from the end when negative). */
function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] as number) ^ 0x5a;
  writeFileSync(path, bytes);
}

/** The command's one failure line (`gqn-train: ...`): exactly one, whatever else it printed. */
function failureOf(command: Command, outcome: Outcome): string {
  const failures = outcome.lines.filter((line) => line.startsWith(`${command}: `));
  expect(failures, outcome.stderr).toHaveLength(1);
  return failures[0] as string;
}

/** A gqn-synth rooms dataset of the corpus' layout (4 scenes per file) under the corpus root. */
async function synthData(
  name: string,
  trainScenes: number,
  testScenes: number,
  seed: number,
): Promise<string> {
  const out = join(root, name);
  await writeSyntheticDataset({
    scene: DATASET,
    frameSize: 32,
    scenesPerFile: 4,
    workers: 0,
    out,
    trainScenes,
    testScenes,
    seed,
  });
  return out;
}

/** Fills the first `count` floats of a weights file with NaN, and drops the checksums (as an earlier version saved it). */
function poisonWeights(checkpoint: string, count = Number.POSITIVE_INFINITY): void {
  const weights = join(checkpoint, "weights.bin");
  const bytes = readFileSync(weights);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  floats.fill(Number.NaN, 0, Math.min(count, floats.length));
  writeFileSync(weights, bytes);
  rmSync(join(checkpoint, "checksums.json"));
}

/** `--model-dir M --data-dir D --dataset rooms_ring_camera`, as gqn-eval and gqn-render take them. */
function modelAndData(modelDir: string, dataDir: string): string[] {
  return ["--model-dir", modelDir, "--data-dir", dataDir, "--dataset", DATASET];
}

/** A dataset with no test split (4 train scenes), made once. */
let trainOnly: Promise<string> | undefined;
function trainOnlyData(): Promise<string> {
  trainOnly ??= synthData("train-only", 4, 0, 3);
  return trainOnly;
}

function checkpointSteps(modelDir: string): number[] {
  const dir = join(modelDir, "checkpoints");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => /^ckpt-(\d+)$/.exec(name)?.[1])
    .filter((step): step is string => step !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "gqn-fault-corpus-"));
  data = join(root, "data");
  await synthData("data", 16, 8, 1);
  planted = join(root, "outside", "precious.txt");
  mkdirSync(join(root, "outside"));
  writeFileSync(planted, "a file no run may write\n");
  plantedHash = sha256(planted);
  base = join(root, "base");
  const made = await run(
    "gqn-train",
    trainArgs(data, base, ...QUIET, "--steps", "12", "--checkpoint-every", "4", "--keep-checkpoints", "5"),
  );
  expect(made.code, made.stderr).toBe(0);
  expect(checkpointSteps(base)).toEqual([4, 8, 12]);
});

afterAll(() => {
  // Nothing outside the run directories changed, whatever was planted to make it.
  expect(sha256(planted)).toBe(plantedHash);
  rmSync(root, { recursive: true, force: true });
});

describe("work lost", () => {
  it("1. a failed final evaluation keeps the steps; the test split obeys --on-corrupt", async () => {
    const masksBad = copy(data, "1-masks");
    // Both test masks files: whichever scenes the evaluation's batch holds, their masks are bad.
    for (const file of ["1-of-2.masks", "2-of-2.masks"])
      flipByte(join(masksBad, DATASET, "masks", "test", file), 0);
    const modelDir = join(root, "1-masks-run");
    // No step-0 evaluation (--eval-every 0): the final one is the one that fails.
    const failed = await run(
      "gqn-train",
      trainArgs(masksBad, modelDir, "--steps", "6", "--checkpoint-every", "0", "--eval-every", "0"),
    );
    expect(failed.code).toBe(1);
    expect(failureOf("gqn-train", failed)).toMatch(
      /The 6 steps are saved in .*ckpt-6: resume from it \(--resume\)/,
    );
    expect(checkpointSteps(modelDir)).toEqual([6]);
    // A new run whose step-0 evaluation fails has nothing to save, and says so.
    const first = await run("gqn-train", trainArgs(masksBad, join(root, "1-masks-first"), "--steps", "6"));
    expect(first.code).toBe(1);
    expect(failureOf("gqn-train", first)).toMatch(
      /at step 0 failed: .* No step was lost \(none was trained yet\)/,
    );
    expect(checkpointSteps(join(root, "1-masks-first"))).toEqual([]);

    const recordBad = copy(data, "1-record");
    flipByte(join(recordBad, DATASET, "test", "1-of-2.tfrecord"), 200);
    const skipped = await run(
      "gqn-train",
      trainArgs(
        recordBad,
        join(root, "1-record-run"),
        "--steps",
        "6",
        "--checkpoint-every",
        "0",
        "--on-corrupt",
        "skip",
      ),
    );
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(checkpointSteps(join(root, "1-record-run"))).toEqual([6]);
  });

  it("2. a NaN weight in the newest checkpoint: resume falls back to the newest good one", async () => {
    const modelDir = copy(base, "2-nan");
    poisonWeights(join(modelDir, "checkpoints", "ckpt-12"), 8);
    const resumed = await run("gqn-train", trainArgs(data, modelDir, ...QUIET, "--resume", "--steps", "10"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /resuming from ckpt-8, the newest intact checkpoint .*non-finite.*moved aside, not deleted: ckpt-12\.aside-\d+/,
    );
    expect(checkpointSteps(modelDir)).toEqual([4, 8, 10]);
  });

  it("3. an existing dataset of other settings is not replaced without --overwrite", async () => {
    const out = join(root, "3-data");
    const synth = (seed: string, perFile: string, ...extra: string[]) =>
      run(
        "gqn-synth",
        [
          "--scene",
          DATASET,
          "--out",
          out,
          "--train-scenes",
          "10",
          "--test-scenes",
          "0",
          "--frame-size",
          "16",
        ].concat(["--seed", seed, "--scenes-per-file", perFile, "--workers", "0", "--quiet", ...extra]),
      );
    expect((await synth("0", "10")).code).toBe(0);
    const before = sha256(join(out, DATASET, "train", "1-of-1.tfrecord"));
    const refused = await synth("1", "5");
    expect(refused.code).toBe(1);
    expect(failureOf("gqn-synth", refused)).toMatch(
      /holds a dataset written with other settings \(.*seed 0 here, 1 asked.*\); replacing it needs overwrite/,
    );
    expect(sha256(join(out, DATASET, "train", "1-of-1.tfrecord"))).toBe(before);
    expect((await synth("1", "5", "--overwrite")).code).toBe(0);
    expect(readdirSync(join(out, DATASET, "train")).sort()).toEqual(["1-of-2.tfrecord", "2-of-2.tfrecord"]);
  });

  it("4. missing optimizer state is refused on resume, unless --fresh-optimizer", async () => {
    const modelDir = copy(base, "4-no-optimizer");
    for (const file of ["optimizer.json", "optimizer.bin"])
      rmSync(join(modelDir, "checkpoints", "ckpt-12", file));
    const refused = await run("gqn-train", trainArgs(data, modelDir, ...QUIET, "--resume", "--steps", "14"));
    expect(refused.code).toBe(1);
    expect(failureOf("gqn-train", refused)).toMatch(
      /ckpt-12 has no optimizer state .* Pass --fresh-optimizer/,
    );
    const accepted = await run(
      "gqn-train",
      trainArgs(data, modelDir, ...QUIET, "--resume", "--fresh-optimizer", "--steps", "14"),
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stderr).toContain("continuing with a fresh Adam (--fresh-optimizer)");
  });
});

describe("writes and reads outside their directory", () => {
  it("5. a link planted at the lock's draft name is replaced, its target untouched", async () => {
    const modelDir = join(root, "5-lock");
    mkdirSync(modelDir);
    // The next pids: the trainer's process is among them.
    const last = Number(readFileSync("/proc/sys/kernel/ns_last_pid", "utf8"));
    for (let pid = last + 1; pid <= last + 400; pid++)
      symlinkSync(planted, join(modelDir, `.gqn-train.lock.${pid}`));
    const trained = await run("gqn-train", trainArgs(data, modelDir, ...QUIET, "--steps", "2"));
    expect(trained.code, trained.stderr).toBe(0);
    expect(sha256(planted)).toBe(plantedHash);
  });

  it("6. model.json weight paths must stay inside their checkpoint", async () => {
    const checkpoint = copy(join(base, "checkpoints", "ckpt-12"), "6-escape");
    rmSync(join(checkpoint, "checksums.json"));
    const modelJson = JSON.parse(readFileSync(join(checkpoint, "model.json"), "utf8"));
    modelJson.weightsManifest[0].paths = ["../../../../../../../../dev/zero"];
    writeFileSync(join(checkpoint, "model.json"), JSON.stringify(modelJson));
    const scored = await run(
      "gqn-eval",
      ["--model-dir", checkpoint, "--data-dir", data, "--dataset", DATASET],
      60_000,
    );
    expect(scored.code).toBe(1);
    expect(failureOf("gqn-eval", scored)).toMatch(
      /names the weights file "\.\.\/.*dev\/zero", which is not inside/,
    );
  });
});

describe("wrong results with exit 0", () => {
  it("7. a shard of garbage counts as the records it held", async () => {
    const garbage = copy(data, "7-garbage");
    const shard = join(garbage, DATASET, "train", "2-of-4.tfrecord");
    const size = readFileSync(shard).length;
    writeFileSync(shard, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251)));
    const skipped = await run(
      "gqn-train",
      trainArgs(
        garbage,
        join(root, "7-run"),
        ...QUIET,
        "--steps",
        "20",
        "--on-corrupt",
        "skip",
        "--max-skipped-fraction",
        "0.05",
      ),
    );
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(
      /2-of-4\.tfrecord: no record could be read after record 0 .*counted as 4 bad records, from the records dataset\.json declares per file/,
    );
    expect(failureOf("gqn-train", skipped)).toMatch(/4 of the \d+ training records read were bad/);
  });

  it("8. object masks of another seed are refused, not scored", async () => {
    const other = await synthData("8-other-seed", 16, 8, 2);
    const swapped = copy(data, "8-swapped");
    for (const file of ["1-of-2.masks", "2-of-2.masks"]) {
      cpSync(join(other, DATASET, "masks", "test", file), join(swapped, DATASET, "masks", "test", file));
    }
    const scored = await run("gqn-eval", [
      "--model-dir",
      base,
      "--data-dir",
      swapped,
      "--dataset",
      DATASET,
      "--samples",
      "1",
    ]);
    expect(scored.code).toBe(1);
    expect(failureOf("gqn-eval", scored)).toMatch(/these masks are not this dataset's/);
  });

  it("9. gqn-data verify fails damaged masks and an invalid dataset.json", async () => {
    const masks = (dir: string) => join(dir, DATASET, "masks", "train", "3-of-4.masks");
    const cases: [string, (dir: string) => void, RegExp][] = [
      ["crc", (dir) => flipByte(masks(dir), -3), /^masks: .*3-of-4\.masks, record 3/m],
      ["missing", (dir) => rmSync(masks(dir)), /^masks: .*3-of-4\.masks is missing/m],
      [
        "truncated",
        (dir) => writeFileSync(masks(dir), readFileSync(masks(dir)).subarray(0, -7)),
        /^masks: .*truncated/m,
      ],
      ["empty", (dir) => writeFileSync(masks(dir), ""), /^masks: .*not an object mask file/m],
      [
        "other",
        (dir) => cpSync(masks(dir).replace("3-of-4", "1-of-4"), masks(dir)),
        /^masks: .*not this dataset's/m,
      ],
      [
        "json",
        (dir) => {
          writeFileSync(join(dir, DATASET, "dataset.json"), "{ not json");
          rmSync(join(dir, DATASET, "train", "4-of-4.tfrecord"));
        },
        /^dataset\.json: .*is not valid JSON/m,
      ],
    ];
    for (const [name, damage, expected] of cases) {
      const dir = copy(data, `9-${name}`);
      damage(dir);
      const verified = await run("gqn-data", ["verify", join(dir, DATASET), "--quiet"]);
      expect(verified.code, name).toBe(1);
      expect(verified.stdout, name).toMatch(/^CORRUPT: /);
      expect(verified.stderr, name).toMatch(expected);
    }
  });

  it("10. gqn-render on a dataset with no test split says it renders training scenes", async () => {
    const rendered = await run("gqn-render", [
      ...modelAndData(base, await trainOnlyData()),
      "--out",
      join(root, "10-out"),
      "--scenes",
      "2",
    ]);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stderr).toContain(`${DATASET} has no test split: rendering scenes of its train split`);
  });
});

describe("crashes and dead ends", () => {
  it("11. declared sizes are bounded: one line, never a heap-limit abort", async () => {
    const huge = copy(data, "11-huge");
    const infoPath = join(huge, DATASET, "dataset.json");
    writeFileSync(
      infoPath,
      JSON.stringify({ ...JSON.parse(readFileSync(infoPath, "utf8")), trainFiles: 2_000_000_000 }),
    );
    const verified = await run("gqn-data", ["verify", join(huge, DATASET), "--quiet"]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/trainFiles must be an integer in \[1, 1000000\], but got 2000000000/);
    const trained = await run("gqn-train", trainArgs(huge, join(root, "11-run"), "--steps", "2"));
    expect(trained.code).toBe(1);
    expect(failureOf("gqn-train", trained)).toMatch(/trainFiles must be an integer in \[1, 1000000\]/);
    const synth = await run("gqn-synth", [
      "--scene",
      DATASET,
      "--out",
      join(root, "11-synth"),
      "--train-scenes",
      "1000000000",
      "--scenes-per-file",
      "1",
      "--quiet",
    ]);
    expect(synth.code).toBe(1);
    expect(failureOf("gqn-synth", synth)).toMatch(
      /make 1000000000 files, more than 100000; raise scenesPerFile/,
    );
  });

  it("12. dead ends get one line that names the file and the next step", async () => {
    // latest names a damaged older checkpoint while newer ones are intact.
    const rolledBack = copy(base, "12-latest");
    writeFileSync(join(rolledBack, "checkpoints", "latest"), "ckpt-4\n");
    rmSync(join(rolledBack, "checkpoints", "ckpt-4", "state.json"));
    const named = await run("gqn-train", trainArgs(data, rolledBack, ...QUIET, "--resume", "--steps", "14"));
    expect(named.code).toBe(1);
    expect(failureOf("gqn-train", named)).toMatch(
      /latest names ckpt-4, and newer checkpoints were not tried: write one's name \(ckpt-8, ckpt-12\) into it/,
    );

    // A shard deleted since the checkpoint: the data order starts over.
    const fewer = copy(data, "12-fewer");
    rmSync(join(fewer, DATASET, "train", "4-of-4.tfrecord"));
    const moved = copy(base, "12-moved");
    const resumed = await run("gqn-train", trainArgs(fewer, moved, ...QUIET, "--resume", "--steps", "14"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /the data position saved in .*ckpt-12 names .*, which is not among the dataset's shards .*: the data order starts over/,
    );

    // latest as a directory.
    const dirLatest = copy(base, "12-latest-dir");
    rmSync(join(dirLatest, "checkpoints", "latest"));
    mkdirSync(join(dirLatest, "checkpoints", "latest"));
    const refused = await run("gqn-train", trainArgs(data, dirLatest, ...QUIET, "--resume", "--steps", "14"));
    expect(refused.code).toBe(1);
    expect(failureOf("gqn-train", refused)).toMatch(
      /checkpoints\/latest is a directory, but it must be the file naming the newest checkpoint/,
    );
    expect(checkpointSteps(dirLatest)).toEqual([4, 8, 12]);

    // A state.json step that disagrees with its directory: that checkpoint is passed over.
    const misnamed = copy(base, "12-step");
    const statePath = join(misnamed, "checkpoints", "ckpt-12", "state.json");
    writeFileSync(statePath, JSON.stringify({ ...JSON.parse(readFileSync(statePath, "utf8")), step: 1e300 }));
    const passed = await run("gqn-train", trainArgs(data, misnamed, ...QUIET, "--resume", "--steps", "10"));
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stderr).toMatch(
      /resuming from ckpt-8, the newest intact checkpoint \(the newer checkpoint cannot be loaded: ckpt-12 /,
    );

    // A lock naming pid 0 or -1 is no one's.
    for (const pid of [0, -1]) {
      const locked = copy(base, `12-lock-${pid}`);
      writeFileSync(
        join(locked, ".gqn-train.lock"),
        JSON.stringify({ pid, host: hostname(), started: "2026-01-01T00:00:00Z" }),
      );
      const taken = await run("gqn-train", trainArgs(data, locked, ...QUIET, "--resume", "--steps", "13"));
      expect(taken.code, taken.stderr).toBe(0);
    }
  });

  it("13. raw messages become one line naming the option or source", async () => {
    const nan = copy(join(base, "checkpoints", "ckpt-12"), "13-nan-source");
    poisonWeights(nan);
    const warm = await run(
      "gqn-train",
      trainArgs(data, join(root, "13-warm"), ...QUIET, "--init-from", nan, "--steps", "2"),
    );
    expect(warm.code).toBe(1);
    expect(failureOf("gqn-train", warm)).toMatch(
      /--init-from: .*13-nan-source holds non-finite weights .*pass an older one/,
    );

    const noTest = await run("gqn-eval", modelAndData(base, await trainOnlyData()));
    expect(noTest.code).toBe(1);
    expect(failureOf("gqn-eval", noTest)).toMatch(
      /has no test split \(its dataset\.json declares testFiles 0\)/,
    );

    const bounded: [Command, string[], RegExp][] = [
      [
        "gqn-render",
        ["--zoom", "5000"],
        /--zoom <n>' argument '5000' is invalid\. expected an integer in \[1, 64\]/,
      ],
      ["gqn-render", ["--samples", "100000"], /expected an integer in \[1, 1000\]/],
      ["gqn-render", ["--orbit", "100000"], /expected an integer in \[1, 3600\]/],
      ["gqn-train", ["--frame-size", "100000"], /expected an integer in \[4, 1024\]/],
    ];
    for (const [command, flags, expected] of bounded) {
      const args = [
        "--model-dir",
        base,
        "--data-dir",
        data,
        "--dataset",
        DATASET,
        ...(command === "gqn-render" ? ["--out", join(root, "13-out")] : []),
        ...flags,
      ];
      const outcome = await run(command, args);
      expect(outcome.code, flags.join(" ")).toBe(2);
      expect(outcome.stderr, flags.join(" ")).toMatch(expected);
      expect(outcome.stderr).not.toMatch(/Invalid typed array length/);
    }

    const sigma = await run(
      "gqn-train",
      trainArgs(data, join(root, "13-sigma"), ...QUIET, "--sigma", "1e-30", "--steps", "2"),
    );
    expect(sigma.code).toBe(1);
    expect(failureOf("gqn-train", sigma)).toMatch(/sigma 1e-30/);

    // Scenes in memory with a NaN camera: refused when batched, naming the view.
    const frame = new Uint8Array(32 * 32 * 3);
    // Four views, as many as the tiny preset draws (K 3 + the query): view 1 is always among them.
    const cameras = Array.from({ length: 4 * 5 }, (_, i) => (i === 7 ? Number.NaN : i % 5));
    await expect(
      train({
        scenes: [{ frames: Array(4).fill(frame), cameras }],
        modelDir: join(root, "13-memory"),
        preset: "tiny",
        batchSize: 1,
        steps: 1,
        backend: "wasm",
        log: () => {},
      }),
    ).rejects.toThrow(/the camera of view 1 must be finite numbers/);

    // The main job names its own flag.
    const mainJob = await run("train-synthetic", ["--model-dir", base, "--data-dir", data, "--minutes", "1"]);
    expect(mainJob.code).toBe(1);
    expect(mainJob.stderr).toMatch(/holds a run already .*: pass --resume to continue it/);
  });

  it("14. a flipped bit in weights.bin fails its checksum: gqn-eval refuses it, resume passes over it", async () => {
    const modelDir = copy(base, "14-bitflip");
    flipByte(join(modelDir, "checkpoints", "ckpt-12", "weights.bin"), 1000);
    const scored = await run("gqn-eval", [
      "--model-dir",
      join(modelDir, "checkpoints", "ckpt-12"),
      "--data-dir",
      data,
      "--dataset",
      DATASET,
    ]);
    expect(scored.code).toBe(1);
    expect(failureOf("gqn-eval", scored)).toMatch(
      /weights\.bin does not match its checksum in checksums\.json/,
    );
    const resumed = await run("gqn-train", trainArgs(data, modelDir, ...QUIET, "--resume", "--steps", "10"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from ckpt-8, .*does not match its checksum.*moved aside/);
  });
});
