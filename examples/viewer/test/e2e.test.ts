import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canvasPixels,
  findBrowser,
  openViewer,
  renderCount,
  startViewer,
  VIEWER_ROOT,
  type ViewerHarness,
  waitForIdle,
} from "./browser-harness.js";

// No skip: a green run means the viewer was driven in a real browser. The browser comes from the
// lockfile (@sparticuz/chromium) where the system has none, and a browser that cannot start fails
// the suite with the reason.
/** Mean absolute difference of two RGB byte arrays, 0..255. */
function meanAbsDiff(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** Standard deviation of the bytes: 0 for a blank (one-colour) canvas. */
function spread(pixels: number[]): number {
  const mean = pixels.reduce((s, x) => s + x, 0) / pixels.length;
  return Math.sqrt(pixels.reduce((s, x) => s + (x - mean) ** 2, 0) / pixels.length);
}

describe("viewer in headless chromium", () => {
  let harness: ViewerHarness;
  let page: Page;
  /** The first rendering, before any test moves the camera. */
  let firstPixels: number[];

  beforeAll(async () => {
    const browser = await findBrowser();
    console.info(`[viewer e2e] browser: ${browser.source} (${browser.executablePath})`);
    harness = await startViewer(browser);
    if (harness.standIn)
      console.warn("[viewer e2e] no gqn-train checkpoint committed: testing with the STAND-IN model");
    page = await openViewer(harness);
    firstPixels = await canvasPixels(page);
  }, 100_000);

  afterAll(async () => {
    await harness?.close();
  });

  it("loads the model, names its backend and renders a non-blank picture", async () => {
    const backend = await page.evaluate(() => document.body.dataset.backend);
    expect(["webgpu", "webgl", "wasm", "cpu"]).toContain(backend);
    await expect(page.textContent("#model-info")).resolves.toContain(backend as string);
    const pixels = await canvasPixels(page);
    expect(pixels.length).toBeGreaterThan(0);
    expect(spread(pixels)).toBeGreaterThan(2);
    const contextViews = await page.locator("#context-views canvas").count();
    expect(contextViews).toBeGreaterThan(0);
  });

  it("runs wasm on every core of the cross-origin-isolated page, rendering what one thread renders", async (ctx) => {
    const shown = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      backend: document.body.dataset.backend,
      status: document.getElementById("status")?.textContent ?? "",
    }));
    // vite preview sends the COOP/COEP headers of vite.config.ts.
    expect(shown.isolated).toBe(true);
    if (shown.backend !== "wasm") ctx.skip();
    const threads = Number(/(\d+) threads?\b/.exec(shown.status)?.[1]);
    expect(threads).toBe(Math.min(shown.cores, 8)); // backend.cc caps the pool at 8
    if (shown.cores >= 2) expect(threads).toBeGreaterThan(1);
    // The same model, scene, camera and latent seed on the single-threaded SIMD build.
    const single = await openViewer(harness, "threads=1");
    try {
      await expect(single.textContent("#status")).resolves.toContain("SIMD, 1 thread)");
      const pixels = await canvasPixels(single);
      console.info(`[viewer e2e] ${threads} threads vs 1: mean |diff| ${meanAbsDiff(pixels, firstPixels)}`);
      expect(meanAbsDiff(pixels, firstPixels)).toBeLessThan(0.5);
    } finally {
      await single.close();
    }
  });

  it("re-renders a changed, non-blank picture when the user drags the rendering", async () => {
    const before = await canvasPixels(page);
    const renders = await renderCount(page);
    const box = await page.locator("#render").boundingBox();
    if (!box) throw new Error("the render canvas has no box");
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 90, y + 30, { steps: 6 });
    await page.mouse.up();
    await waitForIdle(page, renders);
    const after = await canvasPixels(page);
    expect(spread(after)).toBeGreaterThan(2);
    expect(meanAbsDiff(before, after)).toBeGreaterThan(0.5);
    // The sliders follow the drag.
    expect(Number(await page.inputValue("#yaw"))).not.toBe(0);
    const timing = await page.textContent("#timing");
    expect(timing).toMatch(/\d+(\.\d+)? ms/);
    console.info(`[viewer e2e] ${await page.evaluate(() => document.body.dataset.backend)}: ${timing}`);
  });

  it("says how to make a model when there is none at the model URL", async () => {
    const empty = await harness.context.newPage();
    await empty.goto(`${harness.url.split("?")[0]}?model=./no-such-model/model.json`);
    await empty.waitForFunction(() => document.body.dataset.state === "error", undefined, {
      timeout: 60_000,
    });
    const status = await empty.textContent("#status");
    expect(status).toContain("no model at ./no-such-model/model.json");
    expect(status).toContain("copy-model");
    // The scenes are still listed, for a checkpoint dropped on the page.
    expect(await empty.locator("#scene option").count()).toBeGreaterThan(0);
    await empty.close();
  });

  // Into the ignored out/ folder: a test run must not rewrite tracked files. GQN_UPDATE_DOC_IMAGES=1
  // writes it over docs/images/ instead, to refresh the picture on purpose.
  it("saves a screenshot of the page (docs/viewer.md's with GQN_UPDATE_DOC_IMAGES=1)", async () => {
    const dir = join(VIEWER_ROOT, process.env.GQN_UPDATE_DOC_IMAGES === "1" ? "../../docs/images" : "out");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, harness.standIn ? "viewer-stand-in.png" : "viewer.png");
    // The camera of the first held-out view, so the picture shows the rendering beside the truth.
    const renders = await renderCount(page);
    await page.locator("#held-out-views canvas").first().click();
    await waitForIdle(page, renders);
    expect(await page.locator("#truth-figure").isVisible()).toBe(true);
    await page.screenshot({ path: file, fullPage: true });
  });
});
