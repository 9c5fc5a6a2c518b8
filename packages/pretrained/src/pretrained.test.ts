import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPretrained as loadOverUrls, PRETRAINED_MODELS } from "./index.js";
import { loadPretrained, pretrainedModelDir } from "./node.js";

const weightsOf = (model: { toLayersModel(): { getWeights(): tf.Tensor[] } }) =>
  model
    .toLayersModel()
    .getWeights()
    .map((w) => Array.from(w.dataSync()));

/** A static server of the package's models folder, as a CDN would serve it. */
let server: Server;
let base: string;
beforeAll(async () => {
  const models = join(pretrainedModelDir("rooms-32"), "..");
  server = createServer((request, response) => {
    readFile(join(models, decodeURIComponent(request.url ?? "/")))
      .then((bytes) => response.end(bytes))
      .catch(() => {
        response.statusCode = 404;
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("@gqn/pretrained", () => {
  it("loads rooms-32 from its files and renders a room view in [0, 1], seeded", async () => {
    const model = await loadPretrained("rooms-32");
    const card = PRETRAINED_MODELS["rooms-32"];
    expect(model.config.frameSize).toBe(card.frameSize);
    const s = card.frameSize;
    const k = card.contextSize;
    const frames = tf.randomUniform([1, k, s, s, 3], 0, 1, "float32", 1) as tf.Tensor5D;
    const poses = tf.randomNormal([1, k, 7], 0, 1, "float32", 2) as tf.Tensor3D;
    const query = tf.randomNormal([1, 7], 0, 1, "float32", 3) as tf.Tensor2D;
    const render = () =>
      tf.tidy(() =>
        model.render(model.represent(frames, poses), query, { seed: 4, context: { frames, poses } }),
      );
    const [a, b] = [render(), render()];
    expect(a.shape).toEqual([1, s, s, 3]);
    const values = a.dataSync();
    expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(values)).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b, frames, poses, query]);
    model.dispose();
  });

  it("loads the same weights over URLs (a static server), as a browser does", async () => {
    const fromFiles = await loadPretrained("rooms-32");
    const fromUrls = await loadOverUrls("rooms-32", { baseUrl: `${base}/rooms-32` });
    expect(weightsOf(fromUrls)).toEqual(weightsOf(fromFiles));
    fromFiles.dispose();
    fromUrls.dispose();
    await expect(loadOverUrls("rooms-32", { baseUrl: `${base}/nothing-here/` })).rejects.toThrow(
      /loadPretrained: http:\/\/127\.0\.0\.1:\d+\/nothing-here\/model\.json answered 404/,
    );
  });

  it("says which entry to use in Node, and which names exist", async () => {
    await expect(loadOverUrls("rooms-32")).rejects.toThrow(
      /the model's files are on disk .*: in Node, import loadPretrained from "@gqn\/pretrained\/node"/,
    );
    await expect(loadPretrained("rooms-64" as "rooms-32")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: 'loadPretrained: no pretrained model named "rooms-64"; the shipped ones: rooms-32.',
    });
  });
});
