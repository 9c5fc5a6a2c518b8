// Node entry: the shipped models read from this package's files. Re-exports the platform-neutral
// API too.
import { fileURLToPath } from "node:url";
import { GqnModel } from "@gqn/model";
import { layersModelFiles } from "@gqn/model/node";
import { type PretrainedName, pretrainedCard } from "./catalog.js";
import { type LoadPretrainedOptions, loadPretrained as loadOverUrls } from "./index.js";

// Everything of the platform-neutral entry; `loadPretrained` below (files on disk) replaces its.
export * from "./index.js";

/**
 * The folder holding a shipped model's files: a saved model that `gqn-train --init-from`,
 * `gqn-eval --model-dir` and `gqn-render --model-dir` take as it is.
 */
export function pretrainedModelDir(name: PretrainedName): string {
  pretrainedCard(name, "pretrainedModelDir");
  return fileURLToPath(new URL("../models/rooms-32", import.meta.url));
}

/**
 * Loads a shipped model from this package's files (over URLs with `baseUrl`):
 * `const model = await loadPretrained("rooms-32")`. A tfjs backend must be registered first
 * (`initBackend()` of `@gqn/backend`).
 */
export async function loadPretrained(
  name: PretrainedName,
  options: LoadPretrainedOptions = {},
): Promise<GqnModel> {
  pretrainedCard(name, "loadPretrained");
  if (options.baseUrl !== undefined) return loadOverUrls(name, options);
  return GqnModel.load(layersModelFiles(pretrainedModelDir(name)));
}
