import { availableParallelism } from "node:os";
import { join } from "node:path";
import { cliCommand, integerOption, Option, packageVersion, parseCli, reportCliFailure } from "@gqn/core/cli";
import { SingleBar } from "cli-progress";
import { SCENE_KINDS, type SceneKind } from "./scene-kinds.js";
import { writeSyntheticDataset } from "./write-synthetic-dataset.js";

/** Where the CLI writes; defaults to the process streams (tests pass their own). */
export interface SynthCliIo {
  /** Receives the final summary line and `--help`. */
  stdout?: { write(text: string): unknown };
  /** Receives progress (a live bar when `isTTY`, else one line per file) and errors. */
  stderr?: { write(text: string): unknown; isTTY?: boolean };
  /** Program name in usage text; default `gqn-synth`. */
  name?: string;
  /** Worker script, for runs from sources; see WriteSyntheticDatasetOptions.workerUrl. */
  workerUrl?: URL | string;
}

/**
 * The `gqn-synth` command: renders a synthetic dataset with a progress bar on
 * all cores. `argv` are the arguments after the command name. Resolves to the exit code: 0 done,
 * 1 failed, 2 bad usage, 130 interrupted (Ctrl-C; no partial file is left under a final name).
 */
export async function runSynthCli(argv: readonly string[], io: SynthCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const name = io.name ?? "gqn-synth";
  const program = cliCommand(
    name,
    "Render a synthetic GQN dataset (gqn-datasets TFRecord format: JPEG frames + cameras) on the CPU.",
    packageVersion("@gqn/scenes", import.meta.url),
    io,
  )
    .addOption(
      new Option("--scene <name>", "scene kind and dataset name")
        .choices(Object.keys(SCENE_KINDS))
        .makeOptionMandatory(),
    )
    .requiredOption("--out <dir>", "root directory; writes <dir>/<scene>/{train,test}/<i>-of-<n>.tfrecord")
    .requiredOption("--train-scenes <n>", "scenes in the train split", integerOption(1))
    .option("--test-scenes <n>", "scenes in the test split", integerOption(0), 0)
    .option("--frame-size <px>", "frame width and height", integerOption(8, 1024), 64)
    .option("--scenes-per-file <n>", "scenes per TFRecord file", integerOption(1), 100)
    .option("--seed <n>", "dataset seed", integerOption(0, 0xffffffff), 0)
    .addOption(
      new Option("--workers <n>", "worker threads (0: render on the main thread)")
        .argParser(integerOption(0))
        .default(availableParallelism(), `all cores, ${availableParallelism()}`),
    )
    .option("--supersample <n>", "anti-aliasing samples per pixel along each axis", integerOption(1, 8), 1)
    .option("--quality <q>", "JPEG quality, 1-100", integerOption(1, 100), 90)
    .option("--no-object-masks", "skip the per-view object masks written to <dir>/<scene>/masks/")
    .option("--overwrite", "replace a dataset written in <out> with other settings (refused by default)")
    .option("--quiet", "no progress output")
    .option("--debug", "print stack traces of errors");
  const usage = parseCli(program, argv);
  if (usage !== undefined) return usage;
  const o = program.opts<{
    scene: SceneKind;
    out: string;
    trainScenes: number;
    testScenes: number;
    frameSize: number;
    scenesPerFile: number;
    seed: number;
    workers: number;
    supersample: number;
    quality: number;
    objectMasks: boolean;
    overwrite?: boolean;
    quiet?: boolean;
    debug?: boolean;
  }>();

  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  // A live bar on a terminal; elsewhere (CI logs, pipes) one plain line per finished file.
  const bar =
    o.quiet || stderr.isTTY !== true
      ? undefined
      : new SingleBar({
          stream: stderr as NodeJS.WritableStream,
          format: `${o.scene} |{bar}| {value}/{total} scenes | {rate} scenes/s | files {files} | ETA {eta_formatted}`,
          hideCursor: true,
          etaBuffer: 200,
        });
  let barStarted = false;
  let filesReported = -1;
  const started = performance.now();
  // Scenes found complete from an earlier run count towards progress, not towards the rate.
  let resumed: number | undefined;
  try {
    const info = await writeSyntheticDataset({
      out: o.out,
      scene: o.scene,
      trainScenes: o.trainScenes,
      testScenes: o.testScenes,
      frameSize: o.frameSize,
      scenesPerFile: o.scenesPerFile,
      seed: o.seed,
      workers: o.workers,
      supersample: o.supersample,
      jpegQuality: o.quality,
      objectMasks: o.objectMasks,
      overwrite: o.overwrite === true,
      signal: controller.signal,
      workerUrl: io.workerUrl,
      onProgress: (p) => {
        resumed ??= p.scenesDone;
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? ((p.scenesDone - resumed) / seconds).toFixed(1) : "0";
        const files = `${p.filesDone}/${p.filesTotal}`;
        if (bar) {
          if (!barStarted) bar.start(p.scenesTotal, p.scenesDone, { files, rate });
          else bar.update(p.scenesDone, { files, rate });
          barStarted = true;
        } else if (!o.quiet && p.filesDone !== filesReported) {
          filesReported = p.filesDone;
          stderr.write(
            `${o.scene}: files ${files}, scenes ${p.scenesDone}/${p.scenesTotal}, ${rate} scenes/s\n`,
          );
        }
      },
    });
    bar?.stop();
    const seconds = (performance.now() - started) / 1000;
    const scenes = info.trainScenes + info.testScenes;
    const rendered = scenes - (resumed ?? 0);
    stdout.write(
      `${info.name}: ${scenes} scenes (${info.trainFiles} train + ${info.testFiles} test files, ${info.frameSize} px, ${info.views} views${info.objectMasks ? ", object masks" : ""}) -> ${join(o.out, info.name)}; rendered ${rendered} in ${seconds.toFixed(1)} s, ${(rendered / seconds).toFixed(1)} scenes/s\n`,
    );
    return 0;
  } catch (error) {
    bar?.stop();
    if (controller.signal.aborted) {
      stderr.write("Interrupted: unfinished files were removed; rerun the same command to finish.\n");
      return 130;
    }
    return reportCliFailure(name, error, o.debug, io);
  } finally {
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigint);
  }
}
