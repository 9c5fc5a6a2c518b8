import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { createStandInGqnModel, saveToMemory } from "./stand-in-model.js";

/** The viewer package's directory. */
export const VIEWER_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The committed gqn-train checkpoint the page loads by default (relative to `public/`). */
export const MODEL_PATH = "models/gqn-rooms/model.json";

/** A headless Chromium to drive: where it is, the flags it needs, and where it came from. */
export interface Browser {
  readonly executablePath: string;
  readonly args: readonly string[];
  /** "system" (CHROMIUM_PATH or the distribution's chromium) or "@sparticuz/chromium". */
  readonly source: string;
}

/**
 * Flags for a headless chromium on a machine without a GPU or a network: the networking ones stop
 * it from flooding a closed network with retries.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const WEB_SECURITY_OFF = new Set(["--disable-web-security", "--allow-running-insecure-content"]);

/**
 * The browser for the e2e test and the bench. A system chromium comes first (`CHROMIUM_PATH`, then
 * Debian's); otherwise the headless Chromium that `@sparticuz/chromium` ships inside its npm
 * package (a dev dependency, so the lockfile brings it: no download from outside the registry).
 *
 * @throws Error naming each place tried and why the packaged browser could not be unpacked.
 */
export async function findBrowser(): Promise<Browser> {
  const system = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
    (path): path is string => !!path && existsSync(path),
  );
  if (system) return { executablePath: system, args: CHROMIUM_ARGS, source: "system" };
  try {
    const packaged = (await import("@sparticuz/chromium")).default;
    const executablePath = await packaged.executablePath();
    // Its own flags (SwiftShader WebGL, no sandbox, headless shell) plus the quiet-network ones,
    // less the two that switch off web security: with them the page is never cross-origin
    // isolated, and the viewer's threaded wasm (SharedArrayBuffer) is what the test checks.
    const args = [
      ...new Set([
        ...packaged.args.filter((a) => !WEB_SECURITY_OFF.has(a)),
        ...CHROMIUM_ARGS.filter((a) => a !== "--headless"),
      ]),
    ];
    return { executablePath, args, source: "@sparticuz/chromium" };
  } catch (error) {
    throw new Error(
      `findBrowser: no system chromium (CHROMIUM_PATH, /usr/bin/chromium) and @sparticuz/chromium could not unpack its browser: ${(error as Error).message}. Run \`pnpm install\` (it is a dev dependency of @gqn-examples/viewer), or set CHROMIUM_PATH to a chromium.`,
      { cause: error },
    );
  }
}

/** A built viewer served on 127.0.0.1 and a headless chromium to open it. */
export interface ViewerHarness {
  /** The page's URL with the query that picks the model. */
  readonly url: string;
  /** Where the built site is served, e.g. `http://127.0.0.1:4173/`. */
  readonly origin: string;
  /** True when the page loads the STAND-IN model (no gqn-train checkpoint is committed). */
  readonly standIn: boolean;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Builds the page with Vite into a temporary folder, serves it with `vite preview` on a free port
 * of 127.0.0.1, and launches `browser` (headless, fresh profile) through playwright-core.
 */
export async function startViewer(
  browser: Browser,
  options: { model?: Parameters<typeof writeModelFiles>[0] } = {},
): Promise<ViewerHarness> {
  const work = mkdtempSync(join(tmpdir(), "gqn-viewer-e2e-"));
  const outDir = join(work, "dist");
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(work, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    await build({
      root: VIEWER_ROOT,
      logLevel: "warn",
      build: { outDir, emptyOutDir: true, minify: process.env.VIEWER_DEBUG ? false : undefined },
    });
    let query = "";
    const standIn = !options.model && !existsSync(join(VIEWER_ROOT, "public", MODEL_PATH));
    if (options.model) {
      await writeModelFiles(options.model, join(outDir, "given-model"));
      query = "?model=./given-model/model.json";
    } else if (standIn) {
      await writeModelFiles(createStandInGqnModel({ frameSize: 64 }), join(outDir, "stand-in-model"));
      query = "?model=./stand-in-model/model.json";
    }
    const server: PreviewServer = await preview({
      root: VIEWER_ROOT,
      logLevel: "warn",
      build: { outDir },
      preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
    });
    cleanups.push(() => server.close());
    const address = server.resolvedUrls?.local[0];
    if (!address) throw new Error("startViewer: vite preview reported no URL");
    const context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: browser.executablePath,
      headless: true,
      args: [...browser.args],
      viewport: { width: 1200, height: 720 },
    });
    cleanups.push(() => context.close());
    return { url: `${address}${query}`, origin: address, standIn, context, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Writes a LayersModel as `model.json` + `weights.bin`, the files `tf.loadLayersModel(url)` reads. */
export async function writeModelFiles(
  model: { save: unknown } & Parameters<typeof saveToMemory>[0],
  dir: string,
): Promise<void> {
  const artifacts = await saveToMemory(model);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "model.json"),
    JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    }),
  );
  writeFileSync(join(dir, "weights.bin"), new Uint8Array(artifacts.weightData as ArrayBuffer));
}

/** Opens the viewer and waits until it has loaded the model and drawn the first rendering. */
export async function openViewer(harness: ViewerHarness, query = ""): Promise<Page> {
  const page = await harness.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
  });
  const url = query ? `${harness.url}${harness.url.includes("?") ? "&" : "?"}${query}` : harness.url;
  await page.goto(url);
  const settled = await page
    .waitForFunction(() => document.body.dataset.state !== "loading", undefined, { timeout: 60_000 })
    .then(() => true)
    .catch(() => false);
  const state = await page.evaluate(() => document.body.dataset.state);
  if (!settled || state !== "ready") {
    const status = await page.textContent("#status");
    throw new Error(
      `openViewer: the page did not get ready (state ${state}): "${status}"; ${errors.join("; ")}`,
    );
  }
  return page;
}

/** Waits until the page has finished every rendering it was asked for. */
export async function waitForIdle(page: Page, rendersBefore: number): Promise<void> {
  await page.waitForFunction(
    (before) => Number(document.body.dataset.renders) > before && document.body.dataset.busy === "false",
    rendersBefore,
    { timeout: 30_000 },
  );
}

/** The rendered canvas' RGB bytes. */
export async function canvasPixels(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const canvas = document.getElementById("render") as HTMLCanvasElement;
    const rgba = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
    return Array.from(rgba).filter((_, i) => i % 4 !== 3);
  });
}

/** How many renders the page has drawn so far. */
export async function renderCount(page: Page): Promise<number> {
  return Number(await page.evaluate(() => document.body.dataset.renders ?? "0"));
}
