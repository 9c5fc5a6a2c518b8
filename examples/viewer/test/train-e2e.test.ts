// The training page (train.html) in a real headless Chromium: it trains a tiny GQN on rooms it
// renders itself, on WebGPU where Chromium offers it (SwiftShader's, with --enable-unsafe-webgpu)
// and on WebGL otherwise, the loss falls, and the checkpoint it downloads scores with gqn-eval's
// code in Node.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateCheckpoint } from "@gqn/eval/node";
import { writeSyntheticDataset } from "@gqn/scenes/node";
import type { Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBrowser, startViewer, VIEWER_ROOT, type ViewerHarness } from "./browser-harness.js";

const STEPS = Number(process.env.GQN_TRAIN_E2E_STEPS ?? 20);
const FRAME = 16;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe("the training page in headless chromium", () => {
  let harness: ViewerHarness;
  let work: string;
  beforeAll(async () => {
    const browser = await findBrowser();
    harness = await startViewer({ ...browser, args: [...browser.args, "--enable-unsafe-webgpu"] });
    work = mkdtempSync(join(tmpdir(), "gqn-train-page-"));
  }, 100_000);
  afterAll(async () => {
    await harness?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function openTrainer(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await harness.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    // The test's sizes, with `query`'s values over them.
    const params = new URLSearchParams({
      steps: String(STEPS),
      batch: "2",
      frame: String(FRAME),
      "render-every": "10",
    });
    for (const [key, value] of new URLSearchParams(query)) params.set(key, value);
    await page.goto(`${harness.origin}train.html?${params}`);
    await page.waitForFunction(() => document.body.dataset.state !== "loading", undefined, {
      timeout: 60_000,
    });
    return { page, errors };
  }

  it(`trains ${STEPS} steps on the page's GPU, the loss falls, and its checkpoint scores in Node`, async () => {
    let { page, errors } = await openTrainer("");
    const offered = await page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return Boolean(await gpu?.requestAdapter());
    });
    if (!offered) {
      await page.close();
      ({ page, errors } = await openTrainer("backend=webgl"));
    }
    const backend = await page.evaluate(() => document.body.dataset.backend);
    console.info(`[train e2e] backend: ${backend} (${await page.textContent("#status")})`);
    expect(backend).toBe(offered ? "webgpu" : "webgl");

    await page.click("#train");
    await page.waitForFunction(
      () => ["done", "error"].includes(document.body.dataset.state ?? ""),
      undefined,
      {
        timeout: 600_000,
      },
    );
    expect(
      await page.evaluate(() => document.body.dataset.state),
      (await page.textContent("#status")) ?? "",
    ).toBe("done");
    expect(errors).toEqual([]);
    const losses = JSON.parse((await page.evaluate(() => document.body.dataset.losses)) ?? "[]") as number[];
    expect(losses).toHaveLength(STEPS);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
    // A preview before the first step, then every 10 steps and at the last.
    const previews = 1 + Math.floor(STEPS / 10) + (STEPS % 10 === 0 ? 0 : 1);
    expect(Number(await page.evaluate(() => document.body.dataset.previews))).toBe(previews);
    await expect(page.textContent("#loss")).resolves.toMatch(new RegExp(`step ${STEPS} of ${STEPS}: ELBO`));

    // The checkpoint: model.json, weights.bin and state.json, as the browser downloads them.
    const downloads: Download[] = [];
    page.on("download", (download) => downloads.push(download));
    await page.click("#download");
    await page.waitForFunction(() => document.body.dataset.checkpointStep !== undefined);
    expect(await page.evaluate(() => document.body.dataset.checkpointStep)).toBe(String(STEPS));
    for (const name of ["model.json", "weights.bin", "state.json"])
      await page.click(`#files a[data-file="${name}"]`);
    await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(3);
    const modelDir = join(work, "browser-model");
    for (const download of downloads) await download.saveAs(join(modelDir, download.suggestedFilename()));
    expect(downloads.map((d) => d.suggestedFilename()).sort()).toEqual([
      "model.json",
      "state.json",
      "weights.bin",
    ]);

    // Into the ignored out/ folder: a test run must not rewrite tracked files.
    mkdirSync(join(VIEWER_ROOT, "out"), { recursive: true });
    await page.screenshot({ path: join(VIEWER_ROOT, "out", "train-page.png") });

    const dataDir = join(work, "data");
    await writeSyntheticDataset({
      out: dataDir,
      scene: "rooms_ring_camera",
      trainScenes: 2,
      testScenes: 4,
      frameSize: FRAME,
      scenesPerFile: 4,
      seed: 7,
      workers: 0,
    });
    const report = await evaluateCheckpoint({
      modelDir,
      dataDir,
      dataset: "rooms_ring_camera",
      samples: 1,
      contextSize: 5,
      log: () => {},
    });
    expect(report.scenes).toBe(4);
    expect(report.step).toBe(STEPS);
    expect(Number.isFinite(report.elbo.nats)).toBe(true);
    expect(Number.isFinite(report.model.psnr)).toBe(true);
    await page.close();
  }, 700_000);

  // docs/viewer.md's picture: a longer run (300 steps of 4 rooms at 16 px, on wasm, a few minutes),
  // written over docs/images/ on purpose only.
  it.runIf(process.env.GQN_UPDATE_DOC_IMAGES === "1")(
    "saves docs/images/train-page.png",
    async () => {
      const { page } = await openTrainer("backend=wasm&steps=300&batch=4&render-every=50");
      await page.click("#train");
      await page.waitForFunction(() => document.body.dataset.state === "done", undefined, {
        timeout: 900_000,
      });
      await page.screenshot({ path: join(VIEWER_ROOT, "../../docs/images/train-page.png") });
      await page.close();
    },
    1_000_000,
  );
});
