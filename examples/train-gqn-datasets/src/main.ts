// The seed's training command on the published data:
//   python3 train_gqn_draw.py --data_dir /tmp/data/gqn-dataset --dataset rooms_ring_camera --model_dir /tmp/models/gqn
// becomes
//   gqn-train --data-dir /tmp/data/gqn-dataset --dataset rooms_ring_camera --model-dir /tmp/models/gqn --preset tf-gqn
// When the data is not there, this prints how to download it and, unless --no-demo is given, runs
// the same command for a few steps on a small synthetic rooms_ring_camera set in the same format.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { getDatasetSpec } from "@gqn/data";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import { runTrainCli } from "@gqn/train/node";
import { continueRun } from "./continue-run.js";

const DEFAULTS = {
  "--data-dir": "/tmp/data/gqn-dataset",
  "--dataset": "rooms_ring_camera",
  "--model-dir": "/tmp/models/gqn",
  "--preset": "tf-gqn",
} as const;

/** Steps of the synthetic stand-in run (and of each run after it). */
const DEMO_STEPS = 20;

function flag(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at >= 0) return argv[at + 1];
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function hasRecords(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".tfrecord"));
}

async function main(): Promise<number> {
  const given = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")); // pnpm passes "--" through
  const demo = !given.includes("--no-demo");
  const argv = given.filter((a) => a !== "--no-demo");
  for (const [name, value] of Object.entries(DEFAULTS)) {
    if (flag(argv, name) === undefined) argv.push(name, value);
  }
  const dataDir = flag(argv, "--data-dir") as string;
  const dataset = flag(argv, "--dataset") as string;
  const spec = getDatasetSpec(dataset); // throws a clear error for an unknown name
  if (hasRecords(join(dataDir, dataset, "train"))) {
    const run = await continueRun(argv, flag(argv, "--model-dir") as string);
    if (run.note) process.stderr.write(`${run.note}\n`);
    process.stderr.write(`gqn-train ${run.argv.join(" ")}\n`);
    return runTrainCli(run.argv);
  }

  process.stderr.write(
    [
      `No ${dataset} TFRecords under ${join(dataDir, dataset, "train")}.`,
      "",
      `The published set (${spec.trainFiles} train + ${spec.testFiles} test files) is in the public bucket gs://gqn-dataset.`,
      "Download it with gsutil (https://cloud.google.com/storage/docs/gsutil_install), all of it or a few files:",
      "",
      `  mkdir -p ${dataDir}`,
      `  gsutil -m cp -R gs://gqn-dataset/${dataset} ${dataDir}/`,
      `  # or a part: gsutil -m cp "gs://gqn-dataset/${dataset}/train/00[0-4]*" ${join(dataDir, dataset, "train")}/`,
      "",
      "then run this again. `gqn-data verify` checks the files.",
      "",
    ].join("\n"),
  );
  if (!demo) return 1;

  // The stand-in: the same format at the published 64 px, rendered in seconds, and the same
  // command on it with the tiny preset for a few steps.
  const demoData = "/tmp/data/gqn-dataset-synthetic";
  const demoModel = "/tmp/models/gqn-synthetic-demo";
  process.stderr.write(`Meanwhile, the same command on a synthetic ${dataset} set in ${demoData}:\n`);
  if (dataset !== "rooms_ring_camera" && !dataset.startsWith("shepard_metzler")) {
    process.stderr.write(`(no synthetic stand-in for ${dataset}; rendering rooms_ring_camera)\n`);
  }
  const scene = dataset.startsWith("shepard_metzler")
    ? (dataset as "shepard_metzler_5_parts")
    : "rooms_ring_camera";
  // The demo's own folder: an older demo's data of other settings is replaced.
  await writeSyntheticDataset({
    out: demoData,
    scene,
    trainScenes: 200,
    testScenes: 20,
    frameSize: 64,
    overwrite: true,
  });
  const demoArgv = [
    "--data-dir",
    demoData,
    "--dataset",
    scene,
    "--model-dir",
    demoModel,
    "--preset",
    "tiny",
    "--steps",
    String(DEMO_STEPS),
    "--eval-every",
    "10",
  ];
  // Run again, the demo trains DEMO_STEPS more from where it stopped.
  const run = await continueRun(demoArgv, demoModel, DEMO_STEPS);
  if (run.note) process.stderr.write(`${run.note}\n`);
  process.stderr.write(`gqn-train ${run.argv.join(" ")}\n`);
  return runTrainCli(run.argv);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`train-gqn-datasets: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
