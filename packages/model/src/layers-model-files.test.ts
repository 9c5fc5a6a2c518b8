import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layersModelFiles } from "./layers-model-files.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gqn-model-files-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function denseModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  return tfl.model({
    inputs: input,
    outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor,
  });
}

const sha = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

/** A saved model whose model.json names `paths` as its weights. */
async function savedWith(name: string, paths: string[]): Promise<string> {
  const dir = join(root, name);
  const model = denseModel();
  await model.save(layersModelFiles(dir));
  model.dispose();
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
  json.weightsManifest[0].paths = paths;
  await writeFile(join(dir, "model.json"), JSON.stringify(json));
  return dir;
}

describe("layersModelFiles", () => {
  it("reads weights only from regular files inside the model's directory", async () => {
    const outside = join(root, "outside.bin");
    await writeFile(outside, new Uint8Array(32));
    for (const path of ["../outside.bin", outside, "/dev/zero"]) {
      const dir = await savedWith(`escape-${path.replace(/\W/g, "_")}`, [path]);
      await expect(tfl.loadLayersModel(layersModelFiles(dir)), path).rejects.toThrow(
        new RegExp(`names the weights file "${path.replace(/[./]/g, "\\$&")}", which is not inside`),
      );
    }
    const linked = await savedWith("linked", ["weights.bin"]);
    await rm(join(linked, "weights.bin"));
    await symlink(outside, join(linked, "weights.bin"));
    await expect(tfl.loadLayersModel(layersModelFiles(linked))).rejects.toThrow(/which is a symbolic link/);
    const dir = await savedWith("device-inside", ["dev"]);
    await mkdir(join(dir, "dev"));
    await expect(tfl.loadLayersModel(layersModelFiles(dir))).rejects.toThrow(/which is not a regular file/);
  });

  it("saves over links without following them", async () => {
    const dir = join(root, "planted");
    await mkdir(dir, { recursive: true });
    const target = join(root, "precious.bin");
    await writeFile(target, "keep me");
    const before = await sha(target);
    for (const sync of [false, true]) {
      for (const name of ["model.json", "weights.bin"]) {
        await rm(join(dir, name), { force: true });
        await symlink(target, join(dir, name));
      }
      const model = denseModel();
      await model.save(layersModelFiles(dir, { sync }));
      model.dispose();
      expect(await sha(target)).toBe(before);
      (await tfl.loadLayersModel(layersModelFiles(dir))).dispose();
    }
  });
});
