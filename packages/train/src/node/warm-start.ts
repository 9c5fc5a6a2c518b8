import { GqnError } from "@gqn/core";
import { loadTrainedModel } from "@gqn/eval/node";
import type { GqnConfigOverrides, GqnModel } from "@gqn/model";
import { annealed } from "../schedules.js";
import { presetConfigs, type TrainingConfig } from "../training-config.js";

/** What a new run takes from `initFrom`: the source's model, and the new run's training config. */
export interface WarmStart {
  /** The source's model (its config is the new run's), which the run's model then is. */
  model: GqnModel;
  /** The training config of the new run. */
  training: TrainingConfig;
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
  model: GqnConfigOverrides | undefined;
  /** Training overrides (batch size, K, schedules...) of the new run. */
  training: Partial<TrainingConfig>;
  /** What errors start with: the caller and the option's name; default `train: initFrom`. */
  where?: string;
}

/**
 * Opens the weights a new run starts from: a checkpoint (a `ckpt-<step>` directory, or a model dir
 * and its newest checkpoint) or a saved model (a directory with `model.json`, such as the viewer's
 * shipped model), read as gqn-eval reads it. The new run takes the source's model config; a preset
 * or model options, when given, must make the same one, or this refuses naming the keys that
 * differ. Its training config is the preset's when one is named, else the source's (when it
 * recorded one), with the overrides (checked when the run's trainer opens); the step, the
 * optimizer and the learning-rate schedule start afresh. The pixel sigma stays at the source's
 * last value unless the overrides give a sigma schedule.
 */
export async function openWarmStart(path: string, options: WarmStartOptions): Promise<WarmStart> {
  const where = options.where ?? "train: initFrom";
  const source = await loadTrainedModel<TrainingConfig>(path, where);
  try {
    const asked = presetConfigs(options.preset, options.model, options.training);
    if (options.modelAsked) {
      const differing = differingKeys(asked.model, source.model.config);
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
      options.training.sigma === undefined && source.training
        ? annealed(source.training.sigma, source.step ?? Number.POSITIVE_INFINITY)
        : undefined;
    const training: TrainingConfig = {
      ...(!options.modelAsked && source.training ? source.training : asked.training),
      ...options.training,
      ...(heldSigma !== undefined && { sigma: { start: heldSigma, end: heldSigma, steps: 1 } }),
    };
    return {
      model: source.model,
      training,
      path: source.path,
      ...(source.step !== undefined && { step: source.step }),
      ...(heldSigma !== undefined && { heldSigma }),
    };
  } catch (error) {
    source.model.dispose();
    throw error;
  }
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
