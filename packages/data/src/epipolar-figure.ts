// `gqn-data epipolar`: one scene's query view with a pixel marked, beside context views with that
// pixel's epipolar line drawn over them, so that a person can check by eye that the pose convention
// and the field of view assumed for a dataset are right: the lines must cross what the pixel shows.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { checkInteger, GqnError } from "@gqn/core";
import { writeFileAtomic } from "@gqn/core/node";
import {
  epipolarSegment,
  type ImagePoint,
  type PinholeCamera,
  pinholeCamera,
  pixelRay,
  pointAlong,
  projectPoint,
  type Ray,
} from "./camera-geometry.js";
import { listDatasetFiles, readDatasetInfo } from "./dataset-files.js";
import { datasetDepthRange, datasetFovDegrees, type Split } from "./datasets.js";
import { CorruptRecordError } from "./errors.js";
import { decodeJpeg, encodePng } from "./jpeg.js";
import { camerasToPoses } from "./pose.js";
import { readTFRecordEntries } from "./read-tfrecords.js";
import type { RgbImage } from "./rgb-image.js";
import { decodeSceneRecord, type SceneRecord } from "./scene-record.js";

/** Options of {@link writeEpipolarFigure}. */
export interface EpipolarFigureOptions {
  dataDir: string;
  dataset: string;
  split: Split;
  /** 0-based scene index, counted across the split's shards present, in shard order. */
  scene: number;
  /** The view whose pixel is traced. */
  query: number;
  /** `[column, row]` of the traced pixel, 0-based from the top-left; default the centre pixel. */
  pixel?: readonly [number, number];
  /** Over the dataset's field of view (degrees). */
  fovDegrees?: number;
  /** Over the dataset's `[near, far]` (world units along a ray). */
  depthRange?: readonly [number, number];
  /** Context views drawn: the scene's other views in order, at most this many; default 5. */
  views?: number;
  /** Each frame pixel becomes `scale x scale` pixels of the figure; default 4. */
  scale?: number;
  /** The PNG written. */
  out: string;
  /** Where notes go (a partial download); default `console.warn`. */
  warn?: (message: string) => void;
}

/** What {@link writeEpipolarFigure} drew. */
export interface EpipolarFigure {
  out: string;
  width: number;
  height: number;
  fovDegrees: number;
  depthRange: readonly [number, number];
  pixel: readonly [number, number];
  contextViews: number[];
  /** The distances along the ray marked on the lines, with their colours' names. */
  marks: { distance: number; colour: string }[];
}

/** The colours of the figure (RGB). The lines are white on a black halo, visible on any frame. */
const WHITE = [255, 255, 255] as const;
const BLACK = [0, 0, 0] as const;
const GAP = [48, 48, 48] as const;

/** The dots along each line, nearest first. Light colours with a black rim: none is a rooms wall colour. */
const MARK_COLOURS: readonly { name: string; rgb: readonly [number, number, number] }[] = [
  { name: "white", rgb: [255, 255, 255] },
  { name: "yellow", rgb: [255, 240, 0] },
  { name: "cyan", rgb: [0, 230, 255] },
  { name: "magenta", rgb: [255, 0, 255] },
  { name: "lime", rgb: [120, 255, 0] },
];

/**
 * Reads scene `scene` of a split, draws the figure (query view first, its pixel boxed; then up to
 * `views` context views with the pixel's epipolar line from `near` to `far` and dots at evenly
 * spaced distances) scaled up `scale` times with nearest-neighbour pixels, and writes it as a PNG.
 *
 * @throws GqnError `INVALID_ARGUMENT` naming the option (`--scene`, `--query`, `--pixel`, `--fov`)
 *   that is out of range, `INVALID_CONFIG` where the dataset's optics are unknown or wrong,
 *   `MISSING_FILES` for a split with no shards, {@link CorruptRecordError} for a bad record.
 */
export async function writeEpipolarFigure(options: EpipolarFigureOptions): Promise<EpipolarFigure> {
  const where = "gqn-data epipolar";
  const info = await readDatasetInfo(options.dataDir, options.dataset);
  if (options.fovDegrees !== undefined && !(options.fovDegrees > 0 && options.fovDegrees < 180)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: --fov must be in (0, 180) degrees, but got ${options.fovDegrees}.`,
    );
  }
  const fovDegrees = datasetFovDegrees(info, options.fovDegrees);
  const depthRange = datasetDepthRange(info, options.depthRange);
  const maxViews = checkInteger(options.views ?? 5, where, "--views");
  const scale = checkInteger(options.scale ?? 4, where, "--scale", { max: 64 });
  const files = await listDatasetFiles(options.dataDir, info, options.split, {
    ...(options.warn && { warn: options.warn }),
  });
  const scene = await readScene(files, options.scene, `the ${options.split} split of "${info.name}"`);
  const views = scene.record.frames.length;
  if (!(Number.isInteger(options.query) && options.query >= 0 && options.query < views)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: --query must be a view in [0, ${views}) (scene ${options.scene} has ${views} views), but got ${options.query}.`,
    );
  }
  const contextViews = Array.from({ length: views }, (_, v) => v)
    .filter((v) => v !== options.query)
    .slice(0, maxViews);
  const frames = new Map<number, RgbImage>();
  for (const v of [options.query, ...contextViews]) {
    let image: RgbImage;
    try {
      image = decodeJpeg(scene.record.frames[v] as Uint8Array);
    } catch (error) {
      throw new CorruptRecordError("epipolar", `frame ${v}: ${(error as Error).message}`, scene.location);
    }
    if (image.width !== image.height) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: the frames must be square (one field of view for both axes), but view ${v} of scene ${options.scene} is ${image.width}x${image.height}.`,
      );
    }
    frames.set(v, image);
  }
  const size = (frames.get(options.query) as RgbImage).width;
  const pixel = options.pixel ?? [Math.floor(size / 2), Math.floor(size / 2)];
  if (!pixel.every((p) => Number.isInteger(p) && p >= 0 && p < size)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: --pixel must be a column and a row in [0, ${size}) (the frames are ${size}x${size}), but got ${pixel.join(",")}.`,
    );
  }
  const poses = camerasToPoses(scene.record.cameras);
  const camera = (v: number) => pinholeCamera(poses, fovDegrees, size, v * 7);
  const [near, far] = depthRange;
  const marks = MARK_COLOURS.map(({ name }, i) => ({
    distance: near + ((far - near) * i) / (MARK_COLOURS.length - 1),
    colour: name,
  }));
  const image = drawEpipolarFigure({
    query: { frame: frames.get(options.query) as RgbImage, camera: camera(options.query) },
    context: contextViews.map((v) => ({ frame: frames.get(v) as RgbImage, camera: camera(v) })),
    pixel,
    depthRange,
    marks: marks.map((m) => m.distance),
    scale,
  });
  await mkdir(dirname(options.out), { recursive: true });
  // Atomic: an interrupted run leaves no half-written PNG under the name asked for.
  await writeFileAtomic(options.out, encodePng(image.data, image.width, image.height));
  return {
    out: options.out,
    width: image.width,
    height: image.height,
    fovDegrees,
    depthRange,
    pixel,
    contextViews,
    marks,
  };
}

/** Record `index` of the shards, counted across them, with where it was read. */
async function readScene(
  files: readonly string[],
  index: number,
  what: string,
): Promise<{ record: SceneRecord; location: { file: string; record: number; offset: number } }> {
  let count = 0;
  for (const file of files) {
    for await (const entry of readTFRecordEntries(file)) {
      if (count++ !== index) continue;
      const location = { file, record: entry.record, offset: entry.offset };
      try {
        return { record: decodeSceneRecord(entry.data), location };
      } catch (error) {
        throw error instanceof CorruptRecordError ? error.withLocation("epipolar", location) : error;
      }
    }
  }
  throw new GqnError(
    "INVALID_ARGUMENT",
    `gqn-data epipolar: --scene must be in [0, ${count}) (${what} has ${count} scenes in ${files.length} files), but got ${index}.`,
  );
}

/** One view of the figure. */
export interface FigureView {
  frame: RgbImage;
  camera: PinholeCamera;
}

/** What {@link drawEpipolarFigure} draws. */
export interface EpipolarFigureInputs {
  query: FigureView;
  context: readonly FigureView[];
  /** `[column, row]` of the query pixel traced. */
  pixel: readonly [number, number];
  depthRange: readonly [number, number];
  /** Distances along the ray dotted on each line, nearest first (colours: white, yellow, cyan...). */
  marks: readonly number[];
  scale: number;
}

/**
 * The figure as RGB: the query view with its pixel boxed, then each context view with the epipolar
 * line of the ray through the pixel's centre (its stretch from `near` to `far` in front of the
 * camera, clipped to the image) and the dots, all `scale` times larger, on a grey ground.
 */
function drawEpipolarFigure(inputs: EpipolarFigureInputs): RgbImage {
  const { scale } = inputs;
  const size = inputs.query.frame.width;
  const panel = size * scale;
  const gap = 2 * scale;
  const panels = 1 + inputs.context.length;
  const width = panels * panel + (panels + 1) * gap;
  const height = panel + 2 * gap;
  const canvas = new Canvas(width, height);
  canvas.fill(GAP);
  const [column, row] = inputs.pixel;
  const ray = pixelRay(inputs.query.camera, column + 0.5, row + 0.5);
  for (const [p, view] of [inputs.query, ...inputs.context].entries()) {
    const left = gap + p * (panel + gap);
    canvas.blit(view.frame, left, gap, scale);
    // Frame coordinates (continuous pixels) to figure coordinates.
    const at = (point: { x: number; y: number }) => ({ x: left + point.x * scale, y: gap + point.y * scale });
    if (p === 0) {
      drawPixelBox(canvas, at({ x: column, y: row }), scale);
      continue;
    }
    drawEpipolarLine(canvas, view.camera, ray, inputs, at, size);
  }
  return canvas.image();
}

function drawPixelBox(canvas: Canvas, corner: { x: number; y: number }, scale: number): void {
  // A box around the pixel (left visible inside it) and arms pointing at it from four sides.
  const [x0, y0, x1, y1] = [corner.x - 2, corner.y - 2, corner.x + scale + 1, corner.y + scale + 1];
  const arm = 3 * scale;
  const cx = corner.x + scale / 2;
  const cy = corner.y + scale / 2;
  const strokes: [number, number, number, number][] = [
    [x0, y0, x1, y0],
    [x1, y0, x1, y1],
    [x1, y1, x0, y1],
    [x0, y1, x0, y0],
    [x0 - arm, cy, x0 - 1, cy],
    [x1 + 1, cy, x1 + arm, cy],
    [cx, y0 - arm, cx, y0 - 1],
    [cx, y1 + 1, cx, y1 + arm],
  ];
  for (const s of strokes) canvas.line(s[0], s[1], s[2], s[3], BLACK, 1);
  for (const s of strokes) canvas.line(s[0], s[1], s[2], s[3], WHITE, 0);
}

function drawEpipolarLine(
  canvas: Canvas,
  camera: PinholeCamera,
  ray: Ray,
  inputs: EpipolarFigureInputs,
  at: (point: { x: number; y: number }) => { x: number; y: number },
  size: number,
): void {
  const [near, far] = inputs.depthRange;
  const segment = epipolarSegment(camera, ray, near, far);
  const clipped = segment && clipToImage(segment[0], segment[1], size);
  if (clipped) {
    const [a, b] = clipped.map(at) as [{ x: number; y: number }, { x: number; y: number }];
    canvas.line(a.x, a.y, b.x, b.y, BLACK, 1);
    canvas.line(a.x, a.y, b.x, b.y, WHITE, 0);
  }
  for (const [i, distance] of inputs.marks.entries()) {
    const point = projectPoint(camera, pointAlong(ray, distance));
    if (!(point.depth > 0 && point.x >= 0 && point.x <= size && point.y >= 0 && point.y <= size)) continue;
    const { x, y } = at(point);
    const colour = MARK_COLOURS[i % MARK_COLOURS.length]?.rgb ?? WHITE;
    canvas.square(x, y, 3, BLACK);
    canvas.square(x, y, 2, colour);
  }
}

/** The part of segment a-b inside the image `[0, size]^2` (Liang-Barsky), or undefined. */
function clipToImage(a: ImagePoint, b: ImagePoint, size: number): [ImagePoint, ImagePoint] | undefined {
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  // Each edge as p * t <= q.
  for (const [p, q] of [
    [-dx, a.x],
    [dx, size - a.x],
    [-dy, a.y],
    [dy, size - a.y],
  ] as const) {
    if (p === 0) {
      if (q < 0) return undefined;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
    }
  }
  if (!(t1 > t0)) return undefined;
  const point = (t: number): ImagePoint => ({
    x: a.x + t * dx,
    y: a.y + t * dy,
    depth: a.depth + t * (b.depth - a.depth),
  });
  return [point(t0), point(t1)];
}

/** An RGB raster with the few strokes the figure needs. */
class Canvas {
  private readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3);
  }

  fill(rgb: readonly number[]): void {
    for (let i = 0; i < this.data.length; i++) this.data[i] = rgb[i % 3] as number;
  }

  set(x: number, y: number, rgb: readonly number[]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = rgb[0] as number;
    this.data[i + 1] = rgb[1] as number;
    this.data[i + 2] = rgb[2] as number;
  }

  /** `frame` scaled `scale` times (nearest neighbour), its top-left at (left, top). */
  blit(frame: RgbImage, left: number, top: number, scale: number): void {
    for (let y = 0; y < frame.height * scale; y++) {
      for (let x = 0; x < frame.width * scale; x++) {
        const i = (Math.floor(y / scale) * frame.width + Math.floor(x / scale)) * 3;
        this.set(left + x, top + y, [frame.data[i] ?? 0, frame.data[i + 1] ?? 0, frame.data[i + 2] ?? 0]);
      }
    }
  }

  /** A filled square of half-side `radius` pixels around the pixel holding (x, y). */
  square(x: number, y: number, radius: number, rgb: readonly number[]): void {
    const px = Math.floor(x);
    const py = Math.floor(y);
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) this.set(px + dx, py + dy, rgb);
    }
  }

  /** The segment (x0, y0)-(x1, y1) in continuous pixel coordinates, `radius` pixels thick each side. */
  line(x0: number, y0: number, x1: number, y1: number, rgb: readonly number[], radius: number): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2));
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      this.square(x0 + t * (x1 - x0), y0 + t * (y1 - y0), radius, rgb);
    }
  }

  image(): RgbImage {
    return { data: this.data, width: this.width, height: this.height };
  }
}
