// Platform-neutral entry: loads a shipped model over URLs (fetch), in a browser or any runtime
// with fetch. Bundlers see each `new URL("../models/...", import.meta.url)` below and emit the
// files as assets, so an app needs no copy step. In Node, `@gqn/pretrained/node` reads the files.
import { GqnError } from "@gqn/core";
import { GqnModel } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import { type PretrainedName, pretrainedCard } from "./catalog.js";

export { PRETRAINED_MODELS, type PretrainedModelCard, type PretrainedName } from "./catalog.js";

/**
 * The URLs of a model's files inside this package: written out per model, as bundlers only see
 * `new URL` calls with a literal path.
 */
function pretrainedFiles(_name: PretrainedName): { modelJson: URL; weights: URL } {
  return {
    modelJson: new URL("../models/rooms-32/model.json", import.meta.url),
    weights: new URL("../models/rooms-32/weights.bin", import.meta.url),
  };
}

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /**
   * A folder URL serving the model's `model.json` and `weights.bin` (your CDN or static
   * folder); default the files inside this package, as the bundler emitted them.
   */
  baseUrl?: string | URL;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/**
 * Loads a shipped model as a {@link GqnModel}: `const model = await loadPretrained("rooms-32")`,
 * then `model.represent(...)` and `model.render(...)` (with a reader, pass the context views to
 * `render`). A tfjs backend must be registered first. In Node, use `@gqn/pretrained/node`.
 */
export async function loadPretrained(
  name: PretrainedName,
  options: LoadPretrainedOptions = {},
): Promise<GqnModel> {
  const where = "loadPretrained";
  pretrainedCard(name, where);
  const files =
    options.baseUrl !== undefined
      ? {
          modelJson: new URL("model.json", withSlash(options.baseUrl)),
          weights: new URL("weights.bin", withSlash(options.baseUrl)),
        }
      : pretrainedFiles(name);
  if (files.modelJson.protocol === "file:") {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: the model's files are on disk (${files.modelJson.pathname}): in Node, import loadPretrained from "@gqn/pretrained/node", which reads them.`,
    );
  }
  const get = options.fetch ?? fetch;
  const handler: tf.io.IOHandler = {
    async load() {
      const json = (await fetched(get, files.modelJson, where).then((r) => r.json())) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const weights = await fetched(get, files.weights, where).then((r) => r.arrayBuffer());
        return [manifest.flatMap((group) => group.weights), weights];
      });
    },
  };
  return GqnModel.load(handler);
}

function withSlash(url: string | URL): URL {
  const text = String(url);
  return new URL(text.endsWith("/") ? text : `${text}/`);
}

async function fetched(get: typeof fetch, url: URL, where: string): Promise<Response> {
  let response: Response;
  try {
    response = await get(url);
  } catch (error) {
    throw new GqnError("IO_ERROR", `${where}: cannot fetch ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new GqnError("IO_ERROR", `${where}: ${url} answered ${response.status} ${response.statusText}.`);
  }
  return response;
}
