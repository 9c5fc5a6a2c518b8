import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSceneRecord, encodeSceneRecord, readTFRecords, TFRecordWriter } from "@gqn/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { captureIo } from "../../test/capture-io.js";
import { syntheticDataset } from "../../test/synthetic-data.js";
import { runRenderCli } from "./run-render-cli.js";
import { runTrainCli } from "./run-train-cli.js";

// The loop runs on a small pose-decoder model here (seconds); gqn-end-to-end.test.ts runs the GQN.
vi.mock("./gqn-factory.js", async () => ({
  gqnModelFactory: (await import("../../test/pose-decoder-model.js")).poseDecoderFactory,
}));

let data: Awaited<ReturnType<typeof syntheticDataset>>;
let root: string;
beforeAll(async () => {
  data = await syntheticDataset();
  root = await mkdtemp(join(tmpdir(), "gqn-cli-"));
});
afterAll(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
});

const capture = captureIo;

async function trainCli(args: string[]) {
  const { out, io } = capture();
  const code = await runTrainCli(args, io);
  return { code, ...out };
}

const required = () => [
  "--data-dir",
  data.dataDir,
  "--dataset",
  data.dataset,
  "--model-dir",
  join(root, "m"),
];

describe("gqn-train flags", () => {
  it.each([
    [["--steps", "abc"], /option '--steps <n>' argument 'abc' is invalid\. expected an integer >= 0\./],
    [["--batch-size", "0"], /--batch-size <n>' argument '0' is invalid/],
    [["--preset", "huge"], /argument 'huge' is invalid\. Allowed choices are tf-gqn, paper, small, tiny\./],
    [["--backend", "gpu"], /Allowed choices are auto, tensorflow, wasm, cpu/],
    [["--context-size", "5-2"], /expected N >= 1, or MIN-MAX/],
    [["--draw-steps", "0"], /expected N >= 1, or MIN-MAX/],
    [["--lr", "1e-3:1e-4"], /expected START:END:STEPS/],
    [["--sigma", "0"], /expected START:END:STEPS/],
    [["--adam-beta1", "1"], /expected a number in \[0, 1\)/],
    [["--encoder", "resnet"], /Allowed choices are pool, tower, pyramid/],
    [["--frame-size", "2"], /expected an integer >= 4/],
    [["--max-minutes", "-1"], /expected a positive number/],
    [["--frobnicate"], /unknown option '--frobnicate'/],
  ])("%j: exit 2 with one clear line", async (args, message) => {
    const result = await trainCli([...required(), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a missing required flag: exit 2 with one line", async () => {
    const result = await trainCli(["--dataset", "x", "--model-dir", "m"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: required option '--data-dir <dir>' not specified\n");
  });

  it("a missing data dir, an unknown dataset: exit 1 with one line", async () => {
    const missing = await trainCli([
      "--data-dir",
      join(root, "nope"),
      "--dataset",
      data.dataset,
      "--model-dir",
      join(root, "m1"),
    ]);
    expect(missing.code).toBe(1);
    // Errors name the flags as typed, not train()'s option names.
    expect(missing.stderr).toBe(`gqn-train: --data-dir ${join(root, "nope")} is not a directory.\n`);
    const unknown = await trainCli([
      "--data-dir",
      data.dataDir,
      "--dataset",
      "no_such_set",
      "--model-dir",
      join(root, "m2"),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^gqn-train: .*unknown dataset "no_such_set".*\n$/);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("trains on a partial download with a note; --require-all-shards refuses it in one line", async () => {
    const partial = join(root, "partial");
    await cp(data.dataDir, partial, { recursive: true });
    const trainDir = join(partial, data.dataset, "train");
    const shards = (await readdir(trainDir)).filter((name) => name.endsWith(".tfrecord")).sort();
    await rm(join(trainDir, shards[shards.length - 1] as string));
    const args = ["--data-dir", partial, "--dataset", data.dataset, "--preset", "tiny", "--batch-size", "2"];
    const common = ["--backend", "wasm", "--data-workers", "0", "--eval-every", "0", "--steps", "1"];
    const used = await trainCli([...args, ...common, "--model-dir", join(root, "partial-run")]);
    expect(used.code).toBe(0);
    expect(used.stderr).toMatch(
      new RegExp(
        `using ${shards.length - 1} of ${shards.length} train shards of "${data.dataset}" .*\\(a partial download\\)`,
      ),
    );
    const strict = await trainCli([
      ...args,
      ...common,
      "--model-dir",
      join(root, "strict-run"),
      "--require-all-shards",
    ]);
    expect(strict.code).toBe(1);
    // The run's log lines come first; the failure is one line.
    const failure = strict.stderr.split("\n").filter((line) => line.startsWith("gqn-train:"));
    expect(failure).toHaveLength(1);
    expect(failure[0]).toMatch(/has \d+ shards named like .*, but \d+ are in .*Download the rest/);
  });

  it("a NaN camera stops training naming its file and record, or is skipped and counted with --on-corrupt skip", async () => {
    const bad = join(root, "nan-camera");
    await cp(data.dataDir, bad, { recursive: true });
    const trainDir = join(bad, data.dataset, "train");
    const shard = join(
      trainDir,
      (await readdir(trainDir)).filter((n) => n.endsWith(".tfrecord")).sort()[0] as string,
    );
    const records: Uint8Array[] = [];
    for await (const record of readTFRecords(shard)) records.push(record);
    const scene = decodeSceneRecord(records[1] as Uint8Array);
    scene.cameras[3] = Number.NaN; // view 0's yaw
    records[1] = encodeSceneRecord(scene);
    const writer = await TFRecordWriter.open(shard);
    for (const record of records) await writer.write(record);
    await writer.close();
    const args = ["--data-dir", bad, "--dataset", data.dataset, "--preset", "tiny", "--batch-size", "2"];
    const common = [
      "--backend",
      "wasm",
      "--data-workers",
      "0",
      "--eval-every",
      "0",
      "--steps",
      "3",
      "--log-every",
      "1",
    ];
    const stopped = await trainCli([...args, ...common, "--model-dir", join(root, "nan-error")]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(
      /gqn-train: .*camera of view 0 holds a non-finite value \(NaN as yaw\).*record 1/,
    );
    const skipped = await trainCli([
      ...args,
      ...common,
      "--model-dir",
      join(root, "nan-skip"),
      "--on-corrupt",
      "skip",
      "--max-skipped-fraction",
      "0.5",
    ]);
    expect(skipped.code).toBe(0);
    const log = (await readFile(join(root, "nan-skip", "log.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const last = log.filter((r) => r.split === "train").pop();
    expect(Object.values(last.skipped)).toEqual([1]);
    // Above the allowed share of bad records the run stops.
    const strict = await trainCli([
      ...args,
      ...common,
      "--model-dir",
      join(root, "nan-strict"),
      "--on-corrupt",
      "skip",
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(
      /gqn-train: 1 of the \d+ training records read were bad .*more than --max-skipped-fraction 0\.01/,
    );
  });

  it("answers --version, and names the flag for the seed's underscore spellings", async () => {
    const version = await trainCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const seed = await trainCli(["--data_dir", "d", "--dataset", "x", "--model_dir", "m"]);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toBe(
      "error: unknown option '--data_dir'. Did you mean --data-dir? (the seed's underscores are hyphens here)\n",
    );
  });

  it("a model dir that is a file: one line naming the path and what to do", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a directory");
    const result = await trainCli([...required().slice(0, 4), "--model-dir", file, "--steps", "1"]);
    expect(result.code).toBe(1);
    const failure = result.stderr.split("\n").filter((line) => line.startsWith("gqn-train:"));
    expect(failure).toEqual([
      `gqn-train: cannot use ${file}: it exists and is not a directory. Choose another path.`,
    ]);
  });

  it("a run killed before its first checkpoint leaves no duplicate records when started again", async () => {
    const modelDir = join(root, "killed-early");
    await mkdir(modelDir, { recursive: true });
    // What a run killed after its step-0 evaluation and before its first checkpoint leaves.
    await writeFile(
      join(modelDir, "log.jsonl"),
      `${JSON.stringify({ split: "test", step: 0, elbo: 1, nll: 1, kl: 0, lr: 1, sigma: 1, stepMs: 1, time: "t" })}\n`,
    );
    const args = [
      "--data-dir",
      data.dataDir,
      "--dataset",
      data.dataset,
      "--model-dir",
      modelDir,
      "--preset",
      "tiny",
    ];
    const run = await trainCli([
      ...args,
      "--batch-size",
      "2",
      "--backend",
      "wasm",
      "--data-workers",
      "0",
      "--steps",
      "1",
      "--resume",
    ]);
    expect(run.code).toBe(0);
    const records = (await readFile(join(modelDir, "log.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.filter((r) => r.split === "test" && r.step === 0)).toHaveLength(1);
    expect(records.find((r) => r.split === "test" && r.step === 0)?.time).not.toBe("t");
  });

  it("trains, then resumes; a model without replicas refuses --workers in one line", async () => {
    const modelDir = join(root, "run");
    const args = [
      "--data-dir",
      data.dataDir,
      "--dataset",
      data.dataset,
      "--model-dir",
      modelDir,
      "--preset",
      "tiny",
    ];
    const common = [
      "--batch-size",
      "2",
      "--context-size",
      "2-3",
      "--backend",
      "wasm",
      "--data-workers",
      "0",
      "--eval-every",
      "0",
    ];
    // (The real GQN trains data-parallel: gqn-end-to-end.test.ts.)
    const refused = await trainCli([...args, ...common, "--steps", "2", "--workers", "2"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/gqn-train: .*cannot train data-parallel/);
    const first = await trainCli([...args, ...common, "--steps", "2", "--workers", "1"]);
    // --accelerator auto on wasm: onnxruntime-node when installed, else a line saying XNNPACK.
    expect(first.stderr).toMatch(/\[gqn\] convolutions: (onnxruntime-node|XNNPACK)/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^gqn-train: step 2 \(steps\); test ELBO .* PSNR .* dB; checkpoint .*ckpt-2\n$/,
    );
    const again = await trainCli([...args, ...common, "--steps", "3"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^gqn-train: .* already holds a checkpoint .*; pass --resume to continue it/m,
    );
    const resumed = await trainCli([...args, ...common, "--steps", "3", "--resume"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/step 3 \(steps\)/);
    // The checkpoint's config wins on resume: another preset is an error saying what it holds,
    // and the checkpoint read for it is freed.
    const tensors = tf.memory().numTensors;
    const other = await trainCli([
      ...args.slice(0, -2),
      "--preset",
      "small",
      ...common,
      "--steps",
      "4",
      "--resume",
    ]);
    expect(other.code).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(other.stderr).toMatch(
      /gqn-train: .*ckpt-3 holds a .* model, but the preset and model options ask for/,
    );
    // Without --preset it resumes with the checkpoint's config (already at step 3: nothing to do).
    const plain = await trainCli([...args.slice(0, -2), ...common, "--steps", "3", "--resume"]);
    expect(plain.code).toBe(0);
  });
});

describe("gqn-render", () => {
  it("renders test scenes beside their targets and an orbit as PNG frames and a GIF", async () => {
    const modelDir = join(root, "run");
    const out = join(root, "renders");
    const { out: text, io } = capture();
    const code = await runRenderCli(
      [
        "--model-dir",
        modelDir,
        "--data-dir",
        data.dataDir,
        "--dataset",
        data.dataset,
        "--out",
        out,
        "--scenes",
        "3",
        "--orbit",
        "5",
        "--zoom",
        "3",
        "--samples",
        "2",
      ],
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
    const code = await runRenderCli(
      [
        "--model-dir",
        join(root, "run"),
        "--data-dir",
        data.dataDir,
        "--dataset",
        data.dataset,
        "--out",
        join(root, "r0"),
        "--scenes",
        "0",
      ],
      io,
    );
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
    const code = await runRenderCli(
      [
        "--model-dir",
        join(root, "broken"),
        "--data-dir",
        data.dataDir,
        "--dataset",
        data.dataset,
        "--out",
        join(root, "r2"),
      ],
      io,
    );
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
  });
});
