import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { GqnError } from "@gqn/core";
import {
  CommanderError,
  cliCommand,
  cliFailureLines,
  InvalidArgumentError,
  integerOption,
  Option,
  packageVersion,
  positiveNumberOption,
  underscoreFlagError,
} from "@gqn/core/cli";
import { SingleBar } from "cli-progress";
import { readDatasetInfo } from "./dataset-files.js";
import type { DatasetInfo, Split } from "./datasets.js";
import { type EpipolarFigure, writeEpipolarFigure } from "./epipolar-figure.js";
import { CorruptRecordError } from "./errors.js";
import { decodeJpeg, encodePng } from "./jpeg.js";
import { readJpegInfo } from "./jpeg-info.js";
import { camerasToPoses } from "./pose.js";
import { readTFRecordEntries } from "./read-tfrecords.js";
import { decodeSceneRecord, type SceneRecord } from "./scene-record.js";
import type { SkippedRecord } from "./tfrecord-parser.js";
import {
  completenessProblems,
  DeclaredFieldCheck,
  declaredDatasetOf,
  type ShardTally,
} from "./verify-completeness.js";
import { datasetJsonProblems, maskProblems } from "./verify-sidecars.js";

/** A writable text stream (process.stdout, or a test's collector). */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where the CLI writes; defaults to the process streams (tests pass their own). */
export interface DataCliIo {
  /** Results (`--json` lines, summaries) and `--help`. */
  stdout?: CliStream;
  /** Progress (a live bar when `isTTY`) and errors. */
  stderr?: CliStream;
}

/** `path` itself when it is a file, else every `*.tfrecord` below it, sorted. */
async function tfrecordFiles(path: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new GqnError("IO_ERROR", `gqn-data: cannot read ${path}: ${(error as Error).message}.`);
  }
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    const dir = (entry as { parentPath?: string; path?: string }).parentPath ?? entry.path;
    if (entry.isFile() && entry.name.endsWith(".tfrecord")) found.push(join(dir, entry.name));
  }
  if (found.length === 0) throw new GqnError("MISSING_FILES", `gqn-data: no *.tfrecord files in ${path}.`);
  return found.sort();
}

/** A progress bar over bytes on a terminal, nothing elsewhere (logs stay clean). */
function progress(stderr: CliStream, quiet: boolean | undefined, total: number, label: string) {
  if (quiet || stderr.isTTY !== true) return undefined;
  const bar = new SingleBar({
    stream: stderr as NodeJS.WritableStream,
    format: `${label} |{bar}| {percentage}% | {value}/{total} MB | {records} records | {corrupt} corrupt | ETA {eta_formatted}`,
    hideCursor: true,
  });
  bar.start(Math.max(1, Math.round(total / 1e6)), 0, { records: 0, corrupt: 0 });
  return bar;
}

function skipLine(s: SkippedRecord): string {
  return `corrupt: ${s.error.message}\n`;
}

async function inspect(
  paths: string[],
  json: boolean | undefined,
  out: CliStream,
  err: CliStream,
): Promise<number> {
  let corrupt = 0;
  for (const file of paths) {
    let records = 0;
    const views = new Set<number>();
    const sizes = new Set<string>();
    const cameras = new Set<number>();
    let bad = 0;
    let unreadable = 0;
    const report = (s: SkippedRecord) => {
      bad++;
      err.write(skipLine(s));
    };
    const onSkip = (s: SkippedRecord) => {
      unreadable++;
      report(s);
    };
    for await (const entry of readTFRecordEntries(file, { onCorrupt: "skip", onSkip })) {
      records++;
      try {
        const scene = decodeSceneRecord(entry.data);
        const frameSizes = scene.frames.map((frame, v) => {
          const info = readJpegInfo(frame);
          if (!info) throw new CorruptRecordError("inspect", `frame ${v} is not a JPEG`);
          return [info.width, info.height] as [number, number];
        });
        views.add(scene.frames.length);
        cameras.add(scene.cameras.length);
        for (const [w, h] of frameSizes) sizes.add(`${w}x${h}`);
        if (json) {
          out.write(
            `${JSON.stringify({
              file,
              record: entry.record,
              views: scene.frames.length,
              frameSize: frameSizes[0] ?? null,
              cameras: Array.from(scene.cameras),
              poses: Array.from(camerasToPoses(scene.cameras)),
            })}\n`,
          );
        }
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        report({
          file,
          record: entry.record,
          offset: entry.offset,
          reason: error.reason,
          error: error.withLocation("inspect", { file, record: entry.record, offset: entry.offset }),
        });
      }
    }
    corrupt += bad;
    if (!json) {
      const list = (set: Set<number | string>) => [...set].join(", ") || "none";
      out.write(
        `${file}: ${records + unreadable} records, views ${list(views)}, frames ${list(sizes)}, cameras ${list(cameras)}, corrupt ${bad}\n`,
      );
    }
  }
  return corrupt === 0 ? 0 : 1;
}

async function exportRecord(file: string, record: number, outDir: string, out: CliStream): Promise<number> {
  let count = 0;
  for await (const entry of readTFRecordEntries(file)) {
    count++;
    if (entry.record !== record) continue;
    const location = { file, record, offset: entry.offset };
    let scene: ReturnType<typeof decodeSceneRecord>;
    try {
      scene = decodeSceneRecord(entry.data);
    } catch (error) {
      throw error instanceof CorruptRecordError ? error.withLocation("export", location) : error;
    }
    await mkdir(outDir, { recursive: true });
    const digits = Math.max(2, String(scene.frames.length - 1).length);
    for (const [v, frame] of scene.frames.entries()) {
      let image: ReturnType<typeof decodeJpeg>;
      try {
        image = decodeJpeg(frame);
      } catch (error) {
        throw new CorruptRecordError("export", `frame ${v}: ${(error as Error).message}`, location);
      }
      await writeFile(
        join(outDir, `view-${String(v).padStart(digits, "0")}.png`),
        encodePng(image.data, image.width, image.height),
      );
    }
    const poses = camerasToPoses(scene.cameras);
    const perView = (values: Float32Array, n: number) =>
      scene.frames.map((_, v) => Array.from(values.subarray(v * n, v * n + n)));
    await writeFile(
      join(outDir, "cameras.json"),
      `${JSON.stringify({ file, record, cameras: perView(scene.cameras, 5), poses: perView(poses, 7) }, null, 2)}\n`,
    );
    out.write(`${file} record ${record}: ${scene.frames.length} views -> ${outDir}\n`);
    return 0;
  }
  throw new GqnError(
    "INVALID_ARGUMENT",
    `gqn-data export: --record must be in [0, ${count}) for ${file}, but got ${record}.`,
  );
}

/** What `verify` checks beyond the CRCs. */
interface VerifyOptions {
  quiet?: boolean;
  /** Decode every frame of every record, and check cameras, view counts and frame sizes. */
  decode?: boolean;
}

async function verify(
  root: string,
  paths: string[],
  options: VerifyOptions,
  out: CliStream,
  err: CliStream,
): Promise<number> {
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const bar = progress(err, options.quiet, total, "verify");
  let done = 0;
  let records = 0;
  let corrupt = 0;
  const problems: string[] = [];
  const lines: string[] = [];
  // With a bar on screen, lines wait for its end (they would tear it).
  const report = (line: string) => (bar ? lines.push(line) : err.write(line));
  const tallies: ShardTally[] = [];
  // Per dataset: its records against dataset.json's views and frame size, and the lines of the
  // records that disagree, held back until it is known whether all of them do.
  const declared = new Map<string, { check: DeclaredFieldCheck; held: string[] }>();
  try {
    for (const [i, file] of paths.entries()) {
      const size = sizes[i] as number;
      const info = await datasetOf(file);
      const dataset = info && (await declaredDatasetOf(file));
      let fields: { check: DeclaredFieldCheck; held: string[] } | undefined;
      if (dataset) {
        fields = declared.get(dataset.dir) ?? {
          check: new DeclaredFieldCheck(dataset.info, join(dataset.dir, "dataset.json")),
          held: [],
        };
        declared.set(dataset.dir, fields);
      }
      const onSkip = (s: SkippedRecord) => {
        corrupt++;
        report(skipLine(s));
      };
      let inFile = 0;
      for await (const entry of readTFRecordEntries(file, { onCorrupt: "skip", onSkip })) {
        records++;
        inFile++;
        if (options.decode) {
          const problem = sceneProblem(entry.data, info);
          const declaredField = problem?.field && fields ? problem : undefined;
          fields?.check.add(
            declaredField?.field && { field: declaredField.field, seen: declaredField.seen ?? "?" },
          );
          if (problem !== undefined) {
            const error = new CorruptRecordError("verify", problem.reason, {
              file,
              record: entry.record,
              offset: entry.offset,
            });
            if (declaredField) fields?.held.push(`corrupt: ${error.message}\n`);
            else {
              corrupt++;
              report(`corrupt: ${error.message}\n`);
            }
          }
        }
        if (bar && (records & 63) === 0) {
          const at = Math.min(size, entry.offset + entry.data.length + 16);
          bar.update(Math.round((done + at) / 1e6), { records, corrupt });
        }
      }
      if (inFile === 0 && corrupt === 0) problems.push(`empty: ${file} holds no record`);
      else if (inFile === 0) problems.push(`empty: ${file} holds no intact record`);
      tallies.push({ file, records: inFile });
      done += size;
      bar?.update(Math.round(done / 1e6), { records, corrupt });
    }
  } finally {
    bar?.stop();
  }
  for (const line of lines) err.write(line);
  for (const { check, held } of declared.values()) {
    const blame = check.blame();
    if (blame) problems.push(blame);
    else {
      corrupt += held.length;
      for (const line of held) err.write(line);
    }
  }
  // dataset.json declares its shards and (synthetic sets) its record counts: a missing split or
  // a shard cut at a record boundary has valid CRCs throughout, and only these show it.
  problems.push(...(await completenessProblems(root, tallies)));
  problems.push(...(await datasetJsonProblems(root, tallies)), ...(await maskProblems(tallies)));
  for (const line of problems) err.write(`${line}\n`);
  const ok = corrupt === 0 && problems.length === 0;
  out.write(
    `${ok ? "ok" : "CORRUPT"}: ${paths.length} files, ${records} records intact, ${corrupt} corrupt${options.decode ? " (every frame decoded)" : ""}, ${problems.length} other problems, ${(total / 1e6).toFixed(1)} MB\n`,
  );
  return ok ? 0 : 1;
}

/** The dataset a shard belongs to (`<dataDir>/<dataset>/<split>/<file>`), when its facts can be read. */
async function datasetOf(file: string): Promise<DatasetInfo | undefined> {
  const datasetDir = dirname(dirname(file));
  try {
    return await readDatasetInfo(dirname(datasetDir), basename(datasetDir));
  } catch {
    return undefined;
  }
}

/** Why a record is not a valid scene, and which of dataset.json's fields it disagrees with. */
interface SceneProblem {
  reason: string;
  field?: "views" | "frameSize";
  /** The record's value of that field. */
  seen?: string;
}

/** Why a record is not a valid scene of `info` (views, finite cameras, decodable frames of its size). */
function sceneProblem(bytes: Uint8Array, info: DatasetInfo | undefined): SceneProblem | undefined {
  let scene: SceneRecord;
  try {
    scene = decodeSceneRecord(bytes);
  } catch (error) {
    return { reason: error instanceof CorruptRecordError ? error.reason : (error as Error).message };
  }
  if (info && scene.frames.length !== info.views) {
    return {
      reason: `expected ${info.views} frames, but got ${scene.frames.length}`,
      field: "views",
      seen: String(scene.frames.length),
    };
  }
  let size = info?.frameSize;
  for (const [view, frame] of scene.frames.entries()) {
    let image: { width: number; height: number };
    try {
      image = decodeJpeg(frame);
    } catch (error) {
      return { reason: `view ${view}: frame is not a decodable JPEG (${(error as Error).message})` };
    }
    size ??= image.width;
    if (image.width !== size || image.height !== size) {
      return {
        reason: `view ${view}: frame is ${image.width}x${image.height}, but the dataset's frames are ${size}x${size}`,
        ...(info && { field: "frameSize" as const, seen: `${image.width}x${image.height}` }),
      };
    }
  }
  return undefined;
}

/** A commander parser of two numbers `A,B` (`--pixel`, `--depth-range`), checked by `check`. */
function numberPair(expected: string, check: (a: number, b: number) => boolean) {
  return (value: string): [number, number] => {
    const parts = value.split(",").map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
    const [a, b] = parts;
    if (parts.length !== 2 || a === undefined || b === undefined || !check(a, b)) {
      throw new InvalidArgumentError(`expected ${expected}.`);
    }
    return [a, b];
  };
}

/** The one line `gqn-data epipolar` prints: what it wrote and how to read it. */
function epipolarLine(
  figure: EpipolarFigure,
  o: { dataset: string; split: string; scene: number; query: number },
): string {
  const [near, far] = figure.depthRange;
  const marks = figure.marks.map((m) => `${m.colour} ${m.distance.toFixed(2)}`).join(", ");
  return `wrote ${figure.out} (${figure.width}x${figure.height}): ${o.dataset} ${o.split} scene ${o.scene}, query view ${o.query} (left) with pixel (${figure.pixel.join(", ")}) boxed, then context views ${figure.contextViews.join(", ")} with that pixel's epipolar line (fov ${figure.fovDegrees} deg, distances ${near} to ${far}; dots at ${marks}). Each line should cross whatever the boxed pixel shows, and the dot nearest it fall on it in every view that sees it; lines that miss it mean a wrong --fov or pose convention (the centre pixel's line is the same whatever the fov: pick one near an edge).\n`;
}

/**
 * The `gqn-data` command line: `inspect`, `export`, `verify` and `epipolar` (`gqn-synth` of `@gqn/scenes` writes datasets).
 * `argv` are the arguments after the command name. Resolves to the exit code: 0 fine, 1 an error or
 * corrupt records found, 2 bad usage. Errors are one line (`--debug` adds the stack).
 */
export async function runDataCli(argv: readonly string[], io: DataCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const debug = argv.includes("--debug");
  let result = 0;
  const program = cliCommand(
    "gqn-data",
    "Inspect, export and verify GQN TFRecord datasets (tf.train.Example frames + cameras), and draw a pixel's epipolar lines to check their cameras.",
    packageVersion("@gqn/data", import.meta.url),
    io,
  ).option("--debug", "print stack traces of errors");
  program
    .command("inspect")
    .description("records, views per record, frame size, camera count and corrupt records of each file")
    .argument("<path>", "a .tfrecord file, or a directory searched for them")
    .option("--json", "one JSON object per record: {file, record, views, frameSize, cameras, poses}")
    .action(async (path: string, o: { json?: boolean }) => {
      result = await inspect(await tfrecordFiles(path), o.json, stdout, stderr);
    });
  program
    .command("export")
    .description("one record's frames as PNG files view-00.png... and its cameras and poses as cameras.json")
    .argument("<file>", "a .tfrecord file")
    .requiredOption("--record <n>", "0-based record index", integerOption(0))
    .requiredOption("--out <dir>", "output directory")
    .action(async (file: string, o: { record: number; out: string }) => {
      result = await exportRecord(file, o.record, o.out, stdout);
    });
  program
    .command("verify")
    .description(
      "checks both CRCs of every record, empty shards, dataset.json (readable, its shards and record counts) and the object masks it names, with a progress bar",
    )
    .argument("<path>", "a .tfrecord file, or a directory searched for them")
    .option("--decode", "also decode every frame, and check views, cameras (finite) and frame sizes")
    .option("--quiet", "no progress bar")
    .action(async (path: string, o: VerifyOptions) => {
      result = await verify(path, await tfrecordFiles(path), o, stdout, stderr);
    });
  program
    .command("epipolar")
    .description(
      "a PNG of one scene: the query view with a pixel boxed beside context views with its epipolar line, to check the field of view and pose convention by eye",
    )
    .requiredOption("--data-dir <dir>", "directory holding <dataset>/{train,test}/*.tfrecord")
    .requiredOption("--dataset <name>", "dataset name")
    .addOption(new Option("--split <name>", "split read").choices(["test", "train"]).default("test"))
    .option("--scene <n>", "0-based scene index, counted across the split's shards", integerOption(0), 0)
    .option("--query <view>", "the view whose pixel is traced", integerOption(0), 0)
    .option(
      "--pixel <x,y>",
      "column and row of the pixel traced, 0-based from the top-left (default: the centre, whose line is the same whatever the fov: pick one near an edge on an object to check the fov)",
      numberPair(
        "X,Y (two integers >= 0, e.g. 32,40)",
        (x, y) => Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0,
      ),
    )
    .option("--fov <degrees>", "field of view (default: the dataset's)", positiveNumberOption)
    .option(
      "--depth-range <near,far>",
      "distances along the ray drawn, world units (default: the dataset's)",
      numberPair(
        "NEAR,FAR (world units, 0 < NEAR < FAR, e.g. 0.1,8)",
        (near, far) => near > 0 && far > near && Number.isFinite(far),
      ),
    )
    .option("--views <n>", "context views drawn, at most", integerOption(1), 5)
    .option("--scale <n>", "figure pixels per frame pixel", integerOption(1, 64), 4)
    .requiredOption("--out <file>", "the PNG written")
    .action(
      async (o: {
        dataDir: string;
        dataset: string;
        split: Split;
        scene: number;
        query: number;
        pixel?: [number, number];
        fov?: number;
        depthRange?: [number, number];
        views: number;
        scale: number;
        out: string;
      }) => {
        const figure = await writeEpipolarFigure({
          dataDir: o.dataDir,
          dataset: o.dataset,
          split: o.split,
          scene: o.scene,
          query: o.query,
          views: o.views,
          scale: o.scale,
          out: o.out,
          ...(o.pixel && { pixel: o.pixel }),
          ...(o.fov !== undefined && { fovDegrees: o.fov }),
          ...(o.depthRange && { depthRange: o.depthRange }),
          warn: (message) => stderr.write(`gqn-data epipolar: ${message}\n`),
        });
        stdout.write(epipolarLine(figure, o));
      },
    );
  const seedSpelling = underscoreFlagError(program, argv);
  if (seedSpelling) {
    stderr.write(`${seedSpelling}\n`);
    return 2;
  }
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return result;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    for (const line of cliFailureLines("gqn-data", error, debug)) stderr.write(`${line}\n`);
    return 1;
  }
}
