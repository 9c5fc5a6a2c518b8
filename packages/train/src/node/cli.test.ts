import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSceneRecord, encodeSceneRecord } from "@gqn/data";
import { readTFRecords, TFRecordWriter } from "@gqn/data/node";
import { renderCheckpoint } from "@gqn/eval/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo } from "../../../../test/capture-io.js";
import { syntheticDataset } from "../../../../test/synthetic-data.js";
import { loadTrainingCheckpoint } from "./checkpoint.js";
import { runTrainCli } from "./run-train-cli.js";

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
    [["--backend", "gpu"], /Allowed choices are auto, tensorflow, webgpu, wasm, cpu/],
    [["--context-size", "5-2"], /expected N >= 1, or MIN-MAX/],
    [["--draw-steps", "0"], /expected N >= 1, or MIN-MAX/],
    [["--lr", "1e-3:1e-4"], /expected START:END:STEPS/],
    [["--sigma", "0"], /expected START:END:STEPS/],
    [["--adam-beta1", "1"], /expected a number in \[0, 1\)/],
    [["--encoder", "resnet"], /Allowed choices are pool, tower, pyramid/],
    [["--frame-size", "2"], /expected an integer in \[4, 1024\]/],
    [["--frame-size", "100000"], /expected an integer in \[4, 1024\]/],
    [["--max-minutes", "-1"], /expected a positive number/],
    [["--frobnicate"], /unknown option '--frobnicate'/],
    [
      ["--max-skipped-fraction", "2"],
      /--max-skipped-fraction <f>' argument '2' is invalid\. expected a number in \[0, 1\)/,
    ],
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
    // Refused before anything runs or is written: one line, and no run directory.
    expect(strict.stderr).toMatch(
      /^gqn-train: .*has \d+ shards named like .*, but \d+ are in .*Download the rest.*\n$/,
    );
    expect(strict.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(root, "strict-run"))).toBe(false);
  });

  it("the partial-download note is a [gqn] line, printed once per run", async () => {
    const partial = join(root, "partial-note");
    await cp(data.dataDir, partial, { recursive: true });
    const trainDir = join(partial, data.dataset, "train");
    const shards = (await readdir(trainDir)).filter((name) => name.endsWith(".tfrecord")).sort();
    await rm(join(trainDir, shards[0] as string));
    const run = await trainCli([
      ...["--data-dir", partial, "--dataset", data.dataset, "--preset", "tiny", "--batch-size", "2"],
      ...["--backend", "wasm", "--data-workers", "0", "--eval-every", "1", "--steps", "3"],
      ...["--model-dir", join(root, "partial-note-run")],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const notes = run.stderr.split("\n").filter((line) => line.includes("(a partial download)"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^\[gqn\] using 1 of 2 train shards/);
  });

  it("--on-corrupt skip: 1 bad record in 40 is 2.5% of the records read, reported once", async () => {
    const many = await syntheticDataset({ trainScenes: 40, testScenes: 4 });
    try {
      const trainDir = join(many.dataDir, many.dataset, "train");
      const shard = join(
        trainDir,
        (await readdir(trainDir)).filter((n) => n.endsWith(".tfrecord")).sort()[0] as string,
      );
      const records: Uint8Array[] = [];
      for await (const record of readTFRecords(shard)) records.push(record);
      const scene = decodeSceneRecord(records[1] as Uint8Array);
      scene.cameras[3] = Number.NaN;
      records[1] = encodeSceneRecord(scene);
      const writer = await TFRecordWriter.open(shard);
      for (const record of records) await writer.write(record);
      await writer.close();
      const run = await trainCli([
        ...["--data-dir", many.dataDir, "--dataset", many.dataset, "--preset", "tiny", "--batch-size", "2"],
        ...["--backend", "wasm", "--data-workers", "0", "--eval-every", "0", "--steps", "4"],
        ...["--on-corrupt", "skip", "--max-skipped-fraction", "0.05", "--model-dir", join(root, "skip-40")],
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr.split("\n").filter((line) => line.includes("NaN as yaw"))).toHaveLength(1);
      // 1 in 40 is more than 1%: stopped, with the share over the 40 records read.
      const strict = await trainCli([
        ...["--data-dir", many.dataDir, "--dataset", many.dataset, "--preset", "tiny", "--batch-size", "2"],
        ...["--backend", "wasm", "--data-workers", "0", "--eval-every", "0", "--steps", "4"],
        ...["--on-corrupt", "skip", "--model-dir", join(root, "skip-40-strict")],
      ]);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(
        /gqn-train: 1 of the 40 training records read were bad \(2\.5%, more than --max-skipped-fraction 0\.01\)/,
      );
    } finally {
      await many.cleanup();
    }
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

  it("trains, then resumes; another preset than the checkpoint's is refused", async () => {
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
    const first = await trainCli([...args, ...common, "--steps", "2", "--workers", "1"]);
    // --accelerator auto on wasm: onnxruntime-node when installed, else a line saying XNNPACK.
    expect(first.stderr).toMatch(/\[gqn\] convolutions: (onnxruntime-node|XNNPACK)/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^gqn-train: step 2 \(steps, 2 steps run\); test ELBO .* PSNR .* dB at step 2; checkpoint .*ckpt-2\n$/,
    );
    const again = await trainCli([...args, ...common, "--steps", "3"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^gqn-train: .* already holds a checkpoint .*; pass --resume to continue it/m,
    );
    const resumed = await trainCli([...args, ...common, "--steps", "3", "--resume"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/step 3 \(steps, 1 steps run\)/);
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
    // Nothing ran: no earlier evaluation passed off as this call's result.
    expect(plain.stdout).toMatch(
      /^gqn-train: nothing to do: the run is at step 3 already .*; checkpoint .*ckpt-3\n$/,
    );
    expect(plain.stdout).not.toMatch(/ELBO|PSNR/);
  });

  it("a resumed run whose dataset is missing fails before anything, printing no old result", async () => {
    const modelDir = join(root, "stale-result");
    const args = ["--data-dir", data.dataDir, "--dataset", data.dataset, "--model-dir", modelDir];
    const common = ["--preset", "tiny", "--batch-size", "2", "--backend", "wasm", "--data-workers", "0"];
    expect((await trainCli([...args, ...common, "--steps", "2"])).code).toBe(0);
    const missing = await trainCli([
      ...["--data-dir", join(root, "empty-data"), "--dataset", data.dataset, "--model-dir", modelDir],
      ...common.slice(2),
      ...["--steps", "1", "--resume"],
    ]);
    await mkdir(join(root, "empty-data"), { recursive: true });
    const again = await trainCli([
      ...["--data-dir", join(root, "empty-data"), "--dataset", data.dataset, "--model-dir", modelDir],
      ...common.slice(2),
      ...["--steps", "1", "--resume"],
    ]);
    for (const result of [missing, again]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(again.stderr).toMatch(
      /^gqn-train: listDatasetFiles: dataset .* \(train\) has \d+ shards .* but 0 are in /,
    );
  });

  it("a rolled-back `latest`: the run continues from it and its checkpoints are its own, not the old run's", async () => {
    const modelDir = join(root, "rollback");
    const args = ["--data-dir", data.dataDir, "--dataset", data.dataset, "--model-dir", modelDir];
    const common = [
      ...["--preset", "tiny", "--batch-size", "2", "--backend", "wasm", "--data-workers", "0"],
      ...["--eval-every", "0", "--checkpoint-every", "2", "--keep-checkpoints", "3"],
    ];
    expect((await trainCli([...args, ...common, "--steps", "6"])).code).toBe(0);
    const ckpts = join(modelDir, "checkpoints");
    const oldWeights = await readFile(join(ckpts, "ckpt-6", "weights.bin"));
    await writeFile(join(ckpts, "latest"), "ckpt-2\n");
    const resumed = await trainCli([...args, ...common.slice(2), "--steps", "6", "--resume", "--lr", "0.01"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /\[gqn\] resuming from ckpt-2, the newest intact checkpoint \(latest names it, though newer checkpoints exist\); moved aside, not deleted: ckpt-4\.aside-\d+, ckpt-6\.aside-\d+\./,
    );
    expect(resumed.stdout).toMatch(/step 6 \(steps, 4 steps run\).*ckpt-6/);
    const newWeights = await readFile(join(ckpts, "ckpt-6", "weights.bin"));
    expect(Buffer.compare(newWeights, oldWeights)).not.toBe(0);
  });

  it("a damaged newest checkpoint: resume says which one it uses; gqn-render names the intact one", async () => {
    const modelDir = join(root, "damaged");
    const args = ["--data-dir", data.dataDir, "--dataset", data.dataset, "--model-dir", modelDir];
    const common = [
      ...["--preset", "tiny", "--batch-size", "2", "--backend", "wasm", "--data-workers", "0"],
      ...["--eval-every", "0", "--checkpoint-every", "2"],
    ];
    expect((await trainCli([...args, ...common, "--steps", "4"])).code).toBe(0);
    await rm(join(modelDir, "checkpoints", "ckpt-4", "state.json"));
    const out = join(root, "r-damaged");
    await expect(
      renderCheckpoint({ modelDir, dataDir: data.dataDir, dataset: data.dataset, out }),
    ).rejects.toThrow(
      new RegExp(
        `ckpt-4.* The newest intact checkpoint is ${join(modelDir, "checkpoints", "ckpt-2")}: pass that directory`,
      ),
    );
    const resumed = await trainCli([...args, ...common.slice(2), "--steps", "5", "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /\[gqn\] resuming from ckpt-2, the newest intact checkpoint \(the newer checkpoint cannot be loaded: ckpt-4 \(.*state\.json.*\)\); moved aside, not deleted: ckpt-4\.aside-\d+\./,
    );
    expect(resumed.stdout).toMatch(/step 5 \(steps, 3 steps run\).*ckpt-5/);
  });
});

describe("gqn-train --init-from", () => {
  it("--init-from starts a new run from a checkpoint's weights; another architecture or --resume is one line", async () => {
    const common = [
      "--data-dir",
      data.dataDir,
      "--dataset",
      data.dataset,
      "--preset",
      "tiny",
      "--batch-size",
      "2",
      "--data-workers",
      "0",
      "--eval-every",
      "0",
      "--log-every",
      "1",
    ];
    const source = join(root, "warm-source");
    expect((await trainCli([...common, "--model-dir", source, "--steps", "2"])).code).toBe(0);

    // Step 0 of the new run holds the source's weights.
    const atZero = join(root, "warm-0");
    const zero = await trainCli([...common, "--model-dir", atZero, "--init-from", source, "--steps", "0"]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stderr).toMatch(/new run from the weights of .*ckpt-2 \(step 2\)/);
    const [from, copied] = await Promise.all([
      loadTrainingCheckpoint(source),
      loadTrainingCheckpoint(atZero),
    ]);
    expect(copied.step).toBe(0);
    expect(copied.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      from.model.getWeights().map((w) => Array.from(w.dataSync())),
    );

    // Training goes on from there: steps 1 and 2 on a fresh learning-rate schedule and a fresh
    // Adam, with sigma held where the source's anneal ended.
    const onward = join(root, "warm-2");
    const two = await trainCli([...common, "--model-dir", onward, "--init-from", source, "--steps", "2"]);
    expect(two.code).toBe(0);
    const log = async (dir: string) =>
      (await readFile(join(dir, "log.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
        .filter((r) => r.split === "train");
    const [fresh, warm] = await Promise.all([log(source), log(onward)]);
    expect(warm.map((r) => [r.step, r.lr, r.sigma])).toEqual(fresh.map((r) => [r.step, r.lr, 0.7]));
    expect(two.stderr).toMatch(/sigma held at its 0\.70/);
    // The same batches as the source's first steps, from trained weights: a lower loss.
    expect(warm[0].elbo).toBeLessThan(fresh[0].elbo);
    const continued = await loadTrainingCheckpoint(onward);
    expect(continued.step).toBe(2);
    // Adam's iteration count and bias-correction powers of 2 steps, as the source's after its 2:
    // not carried on to 4.
    const counters = (c: typeof from) =>
      (c.optimizerState ?? [])
        .filter((w) => w.tensor.size === 1)
        .map((w) => [w.name.replace(/.*\//, ""), Array.from(w.tensor.dataSync())]);
    expect(counters(continued)).toHaveLength(3);
    expect(counters(continued)).toEqual(counters(from));
    for (const c of [from, copied, continued]) {
      c.model.dispose();
      for (const w of c.optimizerState ?? []) w.tensor.dispose();
    }

    const other = await trainCli([
      ...common.slice(0, 4),
      "--preset",
      "small",
      "--model-dir",
      join(root, "warm-other"),
      "--init-from",
      source,
      "--steps",
      "1",
    ]);
    expect(other.code).toBe(1);
    const failures = (result: { stderr: string }) =>
      result.stderr.split("\n").filter((line) => line.startsWith("gqn-train:"));
    expect(failures(other)).toHaveLength(1);
    expect(failures(other)[0]).toMatch(
      /^gqn-train: --init-from: .*ckpt-2 holds another architecture than the preset and model options make \(differing keys: [^)]*encoder\.type/,
    );
    const both = await trainCli([
      ...common,
      "--model-dir",
      join(root, "warm-both"),
      "--init-from",
      source,
      "--resume",
    ]);
    expect(both.code).toBe(1);
    expect(failures(both)).toEqual([
      "gqn-train: --init-from starts a new run and cannot be combined with --resume.",
    ]);
  });
});
