// gqn-data epipolar on a dataset whose frames are rendered here from known geometry: a red sphere
// seen by cameras on a ring, so where each epipolar line must pass is known exactly.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transformer } from "@napi-rs/image";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinholeCamera, pixelRay, projectPoint, type Vec3 } from "./camera-geometry.js";
import { shardFileName } from "./datasets.js";
import { encodeJpeg } from "./jpeg.js";
import { cameraToPose } from "./pose.js";
import { runDataCli } from "./run-data-cli.js";
import { encodeSceneRecord } from "./scene-record.js";
import { TFRecordWriter } from "./tfrecord-writer.js";

const SIZE = 32;
const FOV = 60;
const VIEWS = 4;
/**
 * The sphere of scene 1 (scene 0 has it elsewhere), well below the point the cameras look at: the
 * cameras stand on a ring, so a pixel's line moves with the field of view most for pixels far
 * above or below the image's centre.
 */
const CENTRE: Vec3 = [0.9, -0.3, -0.3];
const RADIUS = 0.3;

/**
 * A camera on a ring of radius 3 looking at (0, 0.5, 0), as `[x, y, z, yaw, pitch]`. The heights
 * differ: cameras at one height see a point on their common horizon on the same epipolar line
 * whatever the field of view.
 */
function ringCamera([angle, height]: readonly [number, number]): number[] {
  const position = [3 * Math.cos(angle), height, 3 * Math.sin(angle)];
  const [dx, dy, dz] = [-(position[0] as number), 0.5 - height, -(position[2] as number)];
  return [...position, Math.atan2(dz, dx), Math.atan2(dy, Math.hypot(dx, dz))];
}

/** A view of a red sphere on grey, one ray per pixel centre. */
function renderSphere(camera: number[], centre: Vec3): Uint8Array {
  const view = pinholeCamera(cameraToPose(camera), FOV, SIZE);
  const rgb = new Uint8Array(SIZE * SIZE * 3).fill(128);
  for (let i = 0; i < SIZE; i++) {
    for (let j = 0; j < SIZE; j++) {
      const { origin: o, direction: d } = pixelRay(view, j + 0.5, i + 0.5);
      const m = [o[0] - centre[0], o[1] - centre[1], o[2] - centre[2]];
      const b = (m[0] as number) * d[0] + (m[1] as number) * d[1] + (m[2] as number) * d[2];
      const c = Math.hypot(...m) ** 2 - RADIUS ** 2;
      if (b * b - c >= 0 && -b > 0) rgb.set([230, 30, 30], (i * SIZE + j) * 3);
    }
  }
  return rgb;
}

/** Each view's angle on the ring and height. */
const RING: readonly (readonly [number, number])[] = [
  [0, 1],
  [0.9, 1.8],
  [1.8, 0.6],
  [-1.1, 1.4],
];
const root = mkdtempSync(join(tmpdir(), "gqn-epipolar-"));
beforeAll(async () => {
  const dir = join(root, "sphere");
  mkdirSync(join(dir, "test"), { recursive: true });
  const info = { name: "sphere", frameSize: SIZE, views: VIEWS, trainFiles: 1, testFiles: 2 };
  writeFileSync(
    join(dir, "dataset.json"),
    JSON.stringify({ ...info, fovDegrees: FOV, depthRange: [0.5, 6] }),
  );
  // One scene per shard: scene 1 is the first record of the second shard.
  for (const [s, centre] of [[0, 0.2, 0.3] as Vec3, CENTRE].entries()) {
    const cameras = RING.map(ringCamera);
    const writer = await TFRecordWriter.open(join(dir, "test", shardFileName(s + 1, 2)));
    await writer.write(
      encodeSceneRecord({
        frames: cameras.map((camera) => encodeJpeg(renderSphere(camera, centre), SIZE, SIZE, 95)),
        cameras: Float32Array.from(cameras.flat()),
      }),
    );
    await writer.close();
  }
  mkdirSync(join(dir, "train"));
  cpSync(join(dir, "test", shardFileName(1, 2)), join(dir, "train", shardFileName(1, 1)));
  // The same data without optics in its dataset.json.
  cpSync(dir, join(root, "bare"), { recursive: true });
  writeFileSync(join(root, "bare", "dataset.json"), JSON.stringify({ ...info, name: "bare" }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runDataCli(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

/** Where the sphere's centre projects in view `v`, continuous frame pixels. */
const centreIn = (v: number, fov = FOV) =>
  projectPoint(pinholeCamera(cameraToPose(ringCamera(RING[v] ?? [0, 1])), fov, SIZE), CENTRE);

/** The figure's pixels, RGB(A) as decoded, and a reader of one. */
function readFigure(path: string) {
  const png = new Uint8Array(readFileSync(path));
  const transformer = new Transformer(png);
  const { width, height } = transformer.metadataSync();
  const pixels = transformer.rawPixelsSync();
  const channels = pixels.length / (width * height);
  const at = (x: number, y: number) =>
    Array.from(pixels.subarray((y * width + x) * channels, (y * width + x) * channels + 3));
  return { width, height, at };
}

/** The distance in frame pixels from `point` to the nearest white line pixel of context panel `p`. */
function lineDistance(
  figure: ReturnType<typeof readFigure>,
  p: number,
  point: { x: number; y: number },
  scale: number,
) {
  const gap = 2 * scale;
  const left = gap + p * (SIZE * scale + gap);
  let best = Number.POSITIVE_INFINITY;
  for (let y = gap; y < gap + SIZE * scale; y++) {
    for (let x = left; x < left + SIZE * scale; x++) {
      if (figure.at(x, y).every((c) => c === 255)) {
        best = Math.min(
          best,
          Math.hypot((x + 0.5 - left) / scale - point.x, (y + 0.5 - gap) / scale - point.y),
        );
      }
    }
  }
  return best;
}

describe("gqn-data epipolar", () => {
  const base = ["epipolar", "--data-dir", root, "--dataset", "sphere", "--scene", "1"];

  it("draws the query pixel's epipolar line through the object it shows in every context view", async () => {
    const centre = centreIn(0);
    const pixel = [Math.floor(centre.x), Math.floor(centre.y)];
    const out = join(root, "figures", "sphere.png");
    const result = await cli(...base, "--pixel", pixel.join(","), "--out", out);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      `wrote ${out} (${4 * SIZE * 4 + 5 * 8}x${SIZE * 4 + 16}): sphere test scene 1, query view 0 (left) with pixel (${pixel.join(", ")}) boxed, then context views 1, 2, 3 with that pixel's epipolar line (fov 60 deg, distances 0.5 to 6; dots at white 0.50, yellow 1.88, cyan 3.25, magenta 4.63, lime 6.00). Each line should cross whatever the boxed pixel shows, and the dot nearest it fall on it in every view that sees it; lines that miss it mean a wrong --fov or pose convention (the centre pixel's line is the same whatever the fov: pick one near an edge).\n`,
    );
    const figure = readFigure(out);
    expect([figure.width, figure.height]).toEqual([4 * SIZE * 4 + 5 * 8, SIZE * 4 + 16]);
    // The pixel's ray passes within half a query pixel of the sphere's centre, so its line passes
    // within a fraction of a pixel of the centre's projection in each context view (measured 0.04
    // to 0.16), where the figure shows the sphere.
    for (const v of [1, 2, 3]) {
      const seen = centreIn(v);
      expect(lineDistance(figure, v, seen, 4)).toBeLessThan(0.5);
      const left = 8 + v * (SIZE * 4 + 8);
      const around = [-4, 0, 4].flatMap((dy) =>
        [-4, 0, 4].map((dx) =>
          figure.at(left + Math.floor(seen.x * 4) + dx, 8 + Math.floor(seen.y * 4) + dy),
        ),
      );
      expect(around.some(([r, g]) => (r as number) > 180 && (g as number) < 80)).toBe(true);
    }
    // The query panel shows the frame, the sphere where it was rendered, the pixel boxed around it.
    const red = figure.at(8 + Math.floor(centre.x * 4), 8 + Math.floor(centre.y * 4));
    expect(red[0]).toBeGreaterThan(180);
    expect(red[1]).toBeLessThan(80);
    expect(figure.at(8 + pixel[0]! * 4 - 2, 8 + pixel[1]! * 4 - 2)).toEqual([255, 255, 255]);

    // Under a wrong field of view the lines miss (by 0.8 to 2 pixels at 30 degrees for 60): what
    // the command is for.
    const wrong = join(root, "figures", "fov30.png");
    expect((await cli(...base, "--pixel", pixel.join(","), "--fov", "30", "--out", wrong)).code).toBe(0);
    const misses = [1, 2, 3].map((v) => lineDistance(readFigure(wrong), v, centreIn(v), 4));
    expect(Math.max(...misses)).toBeGreaterThan(1.5);
  });

  it("takes --depth-range, --views and --scale, and defaults to the centre pixel", async () => {
    const out = join(root, "figures", "small.png");
    const result = await cli(...base, "--views", "2", "--scale", "2", "--depth-range", "1,4", "--out", out);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /\(16, 16\) boxed, then context views 1, 2 with .* distances 1 to 4; dots at white 1\.00, yellow 1\.75/,
    );
    const figure = readFigure(out);
    expect([figure.width, figure.height]).toEqual([3 * SIZE * 2 + 4 * 4, SIZE * 2 + 8]);
  });

  it("names the option at fault in one line", async () => {
    const out = join(root, "figures", "x.png");
    const failure = async (...argv: string[]) => {
      const result = await cli(...argv, "--out", out);
      expect(result.out).toBe("");
      return result;
    };
    expect(await failure(...base, "--query", "4")).toMatchObject({
      code: 1,
      err: "gqn-data epipolar: --query must be a view in [0, 4) (scene 1 has 4 views), but got 4.\n",
    });
    expect((await failure(...base.slice(0, -1), "2")).err).toBe(
      'gqn-data epipolar: --scene must be in [0, 2) (the test split of "sphere" has 2 scenes in 2 files), but got 2.\n',
    );
    expect((await failure(...base, "--pixel", "32,0")).err).toMatch(
      /--pixel must be a column and a row in \[0, 32\)/,
    );
    expect((await failure(...base, "--fov", "200")).err).toMatch(
      /--fov must be in \(0, 180\) degrees, but got 200/,
    );
    const bare = ["epipolar", "--data-dir", root, "--dataset", "bare"];
    expect((await failure(...bare)).err).toMatch(
      /dataset "bare" declares no fovDegrees in its dataset\.json.*pass --fov <degrees>\./,
    );
    expect((await failure(...bare, "--fov", "60")).err).toMatch(
      /declares no depthRange .* or pass --depth-range/,
    );
    // Malformed values are usage errors (exit 2).
    expect((await failure(...base, "--pixel", "3")).code).toBe(2);
    expect((await failure(...base, "--depth-range", "4,1")).code).toBe(2);
  });
});
