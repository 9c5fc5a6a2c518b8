import { lstat, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { GqnError } from "@gqn/core";
import { writeFileSynced } from "@gqn/core/node";
import * as tf from "@tensorflow/tfjs-core";

/** The weights file name beside `model.json` (what `tf.loadLayersModel("…/model.json")` fetches). */
const WEIGHTS_FILE = "weights.bin";

/**
 * A tfjs `IOHandler` on a directory: `model.save(layersModelFiles(dir))` writes `model.json` and
 * `weights.bin` in the standard tfjs LayersModel format (what `tf.loadLayersModel(url)` reads in
 * a browser), and `tfl.loadLayersModel(layersModelFiles(dir))` reads them back in Node. Written
 * here because the file handler of tfjs lives in tfjs-node, which cannot be installed everywhere.
 */
export function layersModelFiles(dir: string, options: { sync?: boolean } = {}): tf.io.IOHandler {
  // Checkpoints flush each file before their directory is renamed into place. Either way a file is
  // made afresh (removed, then created exclusively), so a link at its name is replaced, not followed.
  const write = options.sync
    ? writeFileSynced
    : async (path: string, data: Uint8Array | string) => {
        await rm(path, { force: true });
        await writeFile(path, data, { flag: "wx" });
      };
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const weightData = artifacts.weightData
        ? tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[])
        : new ArrayBuffer(0);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig && { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata && { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      await write(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await write(join(dir, "model.json"), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: weightData.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as tf.io.ModelJSON;
      } catch (error) {
        throw new GqnError(
          "CHECKPOINT_ERROR",
          `layersModelFiles.load: cannot read ${join(dir, "model.json")}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = await readFile(await weightFile(dir, path));
            buffers.push(
              bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
            );
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/**
 * The file of a weights path from `model.json`: it must name a regular file inside `dir` (not a
 * link, device or `../` path), since a model.json can be edited to point anywhere.
 */
async function weightFile(dir: string, path: string): Promise<string> {
  const full = resolve(dir, path);
  const inside = relative(resolve(dir), full);
  const where = `layersModelFiles.load: ${join(dir, "model.json")} names the weights file "${path}"`;
  if (typeof path !== "string" || inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
    throw new GqnError("CHECKPOINT_ERROR", `${where}, which is not inside ${dir}.`);
  }
  let kind: string;
  try {
    const stats = await lstat(full);
    kind = stats.isFile() ? "file" : stats.isSymbolicLink() ? "a symbolic link" : "not a regular file";
  } catch (error) {
    throw new GqnError("CHECKPOINT_ERROR", `${where}: ${(error as Error).message}`, { cause: error });
  }
  if (kind !== "file") {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `${where}, which is ${kind}: weights are read from regular files only.`,
    );
  }
  return full;
}
