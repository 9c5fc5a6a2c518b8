import { access } from "node:fs/promises";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import { layersModelFiles } from "@gqn/model/node";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { annealed } from "../schedules.js";
import type { TrainingConfig } from "../training-config.js";
import { loadCheckpoint, nonFiniteWeight, resolveCheckpoint } from "./checkpoint.js";
import type { ModelConfig, ModelFactory } from "./gqn-factory.js";

/** What a new run takes from `initFrom`: its configs, and the source's weights. */
export interface WarmStart {
  /** The model config (the source's) and the training config of the new run. */
  configs: { model: ModelConfig; training: TrainingConfig };
  /** The source's model, for the factory's `open({ from: { model } })`, which then owns it. */
  model: tfl.LayersModel;
  /** The checkpoint or saved-model directory read. */
  path: string;
  /** The source's step, when it is a checkpoint. */
  step?: number;
  /** The sigma the source ended at, held by the new run (no sigma schedule was given). */
  heldSigma?: number;
}

/** What {@link openWarmStart} needs of the run's options. */
export interface WarmStartOptions {
  preset: string;
  /** Whether the caller named a preset or model options: then they must describe the source's model. */
  modelAsked: boolean;
  model: object | undefined;
  /** Training overrides (batch size, K, schedules...) of the new run. */
  training: Partial<TrainingConfig>;
  /** What errors start with: the caller and the option's name; default `train: initFrom`. */
  where?: string;
}

/**
 * Opens the weights a new run starts from: a checkpoint (a `ckpt-<step>` directory, or a model dir
 * and its newest checkpoint) or a saved model (a directory with `model.json`, such as the viewer's
 * shipped model). The new run takes the source's model config; a preset or model options, when
 * given, must make the same one, or this refuses naming the keys that differ. Its training config
 * is the preset's when one is named, else the source's (when it recorded one), with the overrides
 * (checked when the factory opens the model); the step, the optimizer and the learning-rate
 * schedule start afresh. The pixel sigma stays at the source's last value unless the overrides
 * give a sigma schedule.
 */
export async function openWarmStart(
  factory: ModelFactory,
  path: string,
  options: WarmStartOptions,
): Promise<WarmStart> {
  const where = options.where ?? "train: initFrom";
  const source = await readSource(path, where);
  try {
    const nonFinite = await nonFiniteWeight(source.model);
    if (nonFinite !== undefined) {
      throw new GqnError(
        "CHECKPOINT_ERROR",
        `${where}: ${source.path} holds non-finite weights (in ${nonFinite}): nothing can be trained from them. If it is a run's newest checkpoint, pass an older one of that run (its checkpoints/ckpt-<step>).`,
      );
    }
    const asked = factory.resolve(options.preset, options.model, options.training);
    // A source saved before a config field existed has its default.
    const sourceConfig = factory.complete(source.gqnConfig);
    if (options.modelAsked) {
      const differing = differingKeys(asked.model, sourceConfig);
      if (differing.length > 0) {
        throw new GqnError(
          "INVALID_CONFIG",
          `${where}: ${source.path} holds another architecture than the preset and model options make (differing keys: ${differing.join(", ")}); drop those options to take the source's, or choose another source.`,
        );
      }
    }
    // The model's likelihood is learnt at the sigma it was trained down to: a fine-tune that
    // restarts the anneal at 2.0 first unlearns that (its ELBO jumps from ~1770 to ~4960 nats on
    // rooms). So the source's last sigma is held, unless the options give a sigma schedule.
    const heldSigma =
      options.training.sigma === undefined && source.trainingConfig
        ? annealed(source.trainingConfig.sigma, source.step ?? Number.POSITIVE_INFINITY)
        : undefined;
    const training: TrainingConfig = {
      ...(!options.modelAsked && source.trainingConfig ? source.trainingConfig : asked.training),
      ...options.training,
      ...(heldSigma !== undefined && { sigma: { start: heldSigma, end: heldSigma, steps: 1 } }),
    };
    return {
      configs: { model: sourceConfig, training },
      model: source.model,
      path: source.path,
      ...(source.step !== undefined && { step: source.step }),
      ...(heldSigma !== undefined && { heldSigma }),
    };
  } catch (error) {
    source.model.dispose();
    throw error;
  }
}

interface Source {
  path: string;
  model: tfl.LayersModel;
  gqnConfig: ModelConfig;
  trainingConfig?: TrainingConfig;
  step?: number;
}

async function readSource(path: string, where: string): Promise<Source> {
  const checkpoint = await resolveCheckpoint(path).catch(() => undefined);
  if (checkpoint) {
    const loaded = await loadCheckpoint(checkpoint);
    // A new run: the source's Adam moments are not carried over.
    tf.dispose(loaded.optimizerState?.map((w) => w.tensor) ?? []);
    const state = loaded.state as { gqnConfig?: ModelConfig; trainingConfig?: TrainingConfig };
    const gqnConfig = state.gqnConfig ?? configInModel(loaded.model);
    if (!gqnConfig) {
      loaded.model.dispose();
      throw new GqnError("CHECKPOINT_ERROR", `${where}: ${loaded.path}/state.json has no gqnConfig.`);
    }
    return {
      path: loaded.path,
      model: loaded.model,
      gqnConfig,
      ...(state.trainingConfig && { trainingConfig: state.trainingConfig }),
      step: loaded.step,
    };
  }
  const ok = await access(join(path, "model.json")).then(
    () => true,
    () => false,
  );
  if (!ok) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: ${path} is neither a checkpoint (ckpt-<step>, or a model dir holding one) nor a saved model (a directory with model.json).`,
    );
  }
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(layersModelFiles(path));
  } catch (error) {
    throw new GqnError(
      "CHECKPOINT_ERROR",
      `${where}: cannot load the model in ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const gqnConfig = configInModel(model);
  if (!gqnConfig) {
    model.dispose();
    throw new GqnError("CHECKPOINT_ERROR", `${where}: ${path}/model.json holds no GQN layer with a config.`);
  }
  return { path, model, gqnConfig };
}

/** The GQN config a saved LayersModel carries in its GQN layer's config. */
function configInModel(model: tfl.LayersModel): ModelConfig | undefined {
  for (const layer of model.layers) {
    const config = layer.getConfig().gqn as unknown;
    if (config && typeof config === "object") return config as ModelConfig;
  }
  return undefined;
}

/** The dotted keys at which two JSON values differ (`encoder.channels`, `draw.steps`), sorted. */
export function differingKeys(a: unknown, b: unknown, prefix = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => differingKeys(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || "(the whole config)"];
}
