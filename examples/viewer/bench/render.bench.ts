// Time per render in headless chromium, for a 64 px GQN of the small preset (random weights: the
// work per render does not depend on them). Run: pnpm --filter @gqn-examples/viewer bench
// Prints, per backend, the page's own figure (model work + read-back, as the page shows it) and
// vitest's table (the same render driven from Node, with the round trip to the page on top).
// VIEWER_BENCH_BACKENDS=wasm,webgl,cpu picks backends (default wasm: without a GPU, chromium's
// WebGL is SwiftShader, about 9 s per render here). VIEWER_BENCH_QUERY adds to each page's query,
// e.g. `threads=1` for the single-threaded wasm build (the default is one thread per core).
import { GqnModel, resolveGqnConfig } from "@gqn/model";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, bench, describe } from "vitest";
import {
  findBrowser,
  openViewer,
  renderCount,
  startViewer,
  type ViewerHarness,
  waitForIdle,
} from "../test/browser-harness.js";

const FRAME_SIZE = 64;
const BACKENDS = (process.env.VIEWER_BENCH_BACKENDS ?? "wasm").split(",");
const QUERY = process.env.VIEWER_BENCH_QUERY ? `&${process.env.VIEWER_BENCH_QUERY}` : "";
const browser = await findBrowser();

let harness: ViewerHarness;
const pages = new Map<string, Page>();
const figures: { backend: string; detail: string; medianMs: number; minMs: number; renders: number }[] = [];
let yaw = 0;

/** Moves the yaw slider one degree and waits for the page to render it; returns the page's ms. */
async function renderOnce(page: Page): Promise<number> {
  const before = await renderCount(page);
  yaw = (yaw + 7) % 360;
  await page.evaluate((value) => {
    const input = document.getElementById("yaw") as HTMLInputElement;
    input.value = String(value - 180);
    input.dispatchEvent(new Event("input"));
  }, yaw);
  await waitForIdle(page, before);
  return Number(await page.evaluate(() => document.body.dataset.lastRenderMs));
}

beforeAll(async () => {
  const model = GqnModel.create(resolveGqnConfig("small", { frameSize: FRAME_SIZE }), { seed: 1 });
  harness = await startViewer(browser, { model: model.toLayersModel() });
  model.dispose();
  for (const backend of BACKENDS) {
    const page = await openViewer(harness, `backend=${backend}${QUERY}`);
    pages.set(backend, page);
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) await renderOnce(page); // warm-up: shader compiles, wasm tiers
    for (let i = 0; i < 15; i++) ms.push(await renderOnce(page));
    ms.sort((a, b) => a - b);
    const detail = await page.evaluate(() => document.getElementById("status")?.textContent ?? "");
    figures.push({
      backend: (await page.evaluate(() => document.body.dataset.backend)) ?? backend,
      detail: detail.replace(/^Ready: /, "").split(", model")[0] ?? "",
      medianMs: ms[Math.floor(ms.length / 2)] as number,
      minMs: ms[0] as number,
      renders: ms.length,
    });
  }
  console.log(
    `\nGQN small preset at ${FRAME_SIZE} px, one render (cached representation + ${8} DRAW steps), headless chromium:`,
  );
  console.table(
    figures.map((f) => ({
      ...f,
      medianMs: Number(f.medianMs.toFixed(1)),
      minMs: Number(f.minMs.toFixed(1)),
    })),
  );
}, 300_000);

afterAll(async () => {
  await harness?.close();
});

describe(`render ${FRAME_SIZE} px, small preset`, () => {
  for (const backend of BACKENDS) {
    bench(
      backend,
      async () => {
        await renderOnce(pages.get(backend) as Page);
      },
      { iterations: 10, time: 0, warmupIterations: 0, warmupTime: 0 },
    );
  }
});
