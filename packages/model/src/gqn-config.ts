import { GqnError } from "@gqn/core";
import { DEFAULT_DRAW_CONFIG, type DrawConfig, resolveDrawConfig } from "@gqn/draw";
import {
  type Aggregation,
  createEncoder,
  type EncoderConfig,
  type EpipolarReaderConfig,
  resolveEncoderConfig,
  resolveEpipolarReaderConfig,
} from "@gqn/encoders";

/**
 * The whole GQN, as construction-time JSON: what a checkpoint stores, and what rebuilds an
 * equivalent model. Produced by {@link resolveGqnConfig}, which fills defaults and validates.
 */
export interface GqnConfig {
  /** Height and width of the square frames, in pixels. DRAW's core grid is `frameSize / 4`. */
  frameSize: number;
  /** The representation network (its `frameSize` always equals the top-level one). */
  encoder: EncoderConfig;
  /** How the K context representations combine: the paper's `sum`, or `mean`. */
  aggregation: Aggregation;
  /** The conditional DRAW generator. */
  draw: DrawConfig;
  /**
   * A reader of the context views that DRAW's cores query at every step (epipolar attention);
   * absent in the paper's GQN. With one, `draw.readChannels` is the reader's `valueChannels`.
   */
  reader?: EpipolarReaderConfig;
}

/**
 * A named model configuration. The training settings each was described with (batch size,
 * schedules, Adam) are @gqn/train's `TRAINING_PRESETS`, under the same names.
 */
export interface GqnPreset {
  /** Where the numbers come from. */
  readonly source: string;
  readonly model: GqnConfig;
}

/** The names of {@link GQN_PRESETS}. */
export type GqnPresetName = "tf-gqn" | "paper" | "small" | "tiny";

/**
 * The named configurations. Every number says where it comes from:
 *
 * | preset | px | encoder | L | C | Cu | Z | source |
 * |---|---|---|---|---|---|---|---|
 * | `tf-gqn` | 64 | pool (tf-gqn tower), 256 | 8 | 256 | 256 | 64 | ogroth/tf-gqn defaults (the seed) |
 * | `paper` | 64 | tower, 256 | 12 | 128 | 128 | 3 | Eslami et al. 2018, as torch-gqn reads it |
 * | `small` | 32 | tower, 64 | 8 | 64 | 64 | 16 | ours: trains on a CPU in hours |
 * | `tiny` | 32 | pool, 32 | 4 | 32 | 32 | 8 | ours: tests and smoke runs, seconds per step |
 */
export const GQN_PRESETS: Readonly<Record<GqnPresetName, GqnPreset>> = Object.freeze({
  "tf-gqn": {
    source: "ogroth/tf-gqn defaults (pool encoder on its tower, L8 C256 Cu256 Z64)",
    model: {
      frameSize: 64,
      encoder: { type: "pool", frameSize: 64, channels: 256, variant: "tf-gqn" },
      aggregation: "sum",
      draw: { ...DEFAULT_DRAW_CONFIG },
    },
  },
  paper: {
    source: "Eslami et al. 2018 (tower encoder, L12 C128 Cu128 Z3), as torch-gqn reads it",
    model: {
      frameSize: 64,
      encoder: { type: "tower", frameSize: 64, channels: 256 },
      aggregation: "sum",
      draw: {
        ...DEFAULT_DRAW_CONFIG,
        steps: 12,
        hiddenChannels: 128,
        canvasChannels: 128,
        latentChannels: 3,
      },
    },
  },
  small: {
    source: "ours: a CPU-sized tower GQN at 32 px (L8 C64 Cu64 Z16)",
    model: {
      frameSize: 32,
      encoder: { type: "tower", frameSize: 32, channels: 64 },
      aggregation: "sum",
      draw: { ...DEFAULT_DRAW_CONFIG, steps: 8, hiddenChannels: 64, canvasChannels: 64, latentChannels: 16 },
    },
  },
  tiny: {
    source: "ours: tests and smoke runs at 32 px (pool encoder, L4 C32 Cu32 Z8)",
    model: {
      frameSize: 32,
      encoder: { type: "pool", frameSize: 32, channels: 32 },
      aggregation: "sum",
      draw: { ...DEFAULT_DRAW_CONFIG, steps: 4, hiddenChannels: 32, canvasChannels: 32, latentChannels: 8 },
    },
  },
});

/** The preset names, for CLIs and error messages. */
export const GQN_PRESET_NAMES = Object.keys(GQN_PRESETS) as GqnPresetName[];

/** Partial overrides of a {@link GqnConfig}: nested objects merge field by field. */
export interface GqnConfigOverrides {
  frameSize?: number;
  encoder?: Partial<EncoderConfig>;
  aggregation?: Aggregation;
  draw?: Partial<DrawConfig>;
  /**
   * Adds (or changes) the epipolar reader; `null` removes it. Its optics (`fovDegrees`, `near`,
   * `far`) are the dataset's: gqn-train fills them from the dataset when they are left out.
   */
  reader?: Partial<EpipolarReaderConfig> | null;
}

/** Returns a preset by name, or an INVALID_CONFIG error that lists the names. */
export function getPreset(name: string): GqnPreset {
  const preset = (GQN_PRESETS as Record<string, GqnPreset>)[name];
  if (!preset) {
    throw new GqnError(
      "INVALID_CONFIG",
      `getPreset: preset must be one of ${GQN_PRESET_NAMES.join(", ")}, but got ${JSON.stringify(name)}.`,
    );
  }
  return preset;
}

/**
 * The one resolver of model configs: a preset (by name or as a config) merged with overrides,
 * defaults filled in, and validated before any tensor exists. A `frameSize` override also
 * resizes the encoder; an encoder override with another `type` starts from that type's defaults.
 *
 * @throws GqnError `INVALID_CONFIG` naming the offending field.
 */
export function resolveGqnConfig(
  base: GqnPresetName | GqnConfig,
  overrides: GqnConfigOverrides = {},
): GqnConfig {
  const from = typeof base === "string" ? getPreset(base).model : base;
  const frameSize = overrides.frameSize ?? from.frameSize;
  const merged: GqnConfig = {
    frameSize,
    // A new encoder type starts from its own defaults: the old type's fields may not apply to it.
    encoder: {
      ...(overrides.encoder?.type === undefined || overrides.encoder.type === from.encoder.type
        ? from.encoder
        : {}),
      ...overrides.encoder,
      frameSize,
    } as EncoderConfig,
    aggregation: overrides.aggregation ?? from.aggregation ?? "sum",
    draw: { ...DEFAULT_DRAW_CONFIG, ...from.draw, ...overrides.draw },
  };
  const reader =
    overrides.reader === null
      ? undefined
      : overrides.reader === undefined
        ? from.reader
        : resolveReader({ ...from.reader, ...overrides.reader });
  // The reader decides DRAW's read width, unless the overrides say otherwise (then they must agree).
  merged.draw.readChannels = overrides.draw?.readChannels ?? reader?.valueChannels ?? 0;
  if (reader !== undefined) merged.reader = reader;
  return completeGqnConfig(merged);
}

/**
 * A whole config checked as given (the encoder's frame size must already match) and its encoder
 * and DRAW defaults filled in: what {@link GqnModel.create} builds from.
 *
 * @throws GqnError `INVALID_CONFIG` naming the offending field.
 */
export function completeGqnConfig(config: GqnConfig): GqnConfig {
  const draw = checkGqnConfig(config);
  const { name: _name, ...encoder } = resolveEncoderConfig(config.encoder);
  const { reader, ...rest } = config;
  return {
    ...rest,
    encoder,
    draw,
    ...(reader !== undefined && { reader: resolveEpipolarReaderConfig(reader) }),
  };
}

/** Checks a full {@link GqnConfig}; throws INVALID_CONFIG with the house message form. */
export function validateGqnConfig(config: GqnConfig): void {
  checkGqnConfig(config);
}

/** The checks of {@link validateGqnConfig}; returns the DRAW config resolved (once) on the way. */
function checkGqnConfig(config: GqnConfig): DrawConfig {
  const where = "resolveGqnConfig";
  if (config === null || typeof config !== "object" || !config.draw || !config.encoder) {
    throw invalid(
      `${where}: config must be an object with encoder and draw, but got ${JSON.stringify(config)}.`,
    );
  }
  // @gqn/draw checks its own fields (positive integers, an odd kernel, a boolean tied).
  let draw: DrawConfig;
  try {
    draw = resolveDrawConfig(config.draw);
  } catch (error) {
    throw new GqnError("INVALID_CONFIG", `${where}: draw: ${(error as Error).message}`, { cause: error });
  }
  if (draw.imageChannels !== 3) {
    throw invalid(`${where}: draw.imageChannels must be 3 (RGB frames), but got ${draw.imageChannels}.`);
  }
  const s = config.frameSize;
  const scale = draw.scale;
  if (!Number.isInteger(s) || s < scale || s % scale !== 0) {
    throw invalid(
      `${where}: frameSize must be a positive multiple of ${scale} (DRAW's core grid is frameSize / ${scale}), but got ${JSON.stringify(s)}.`,
    );
  }
  if (config.encoder.frameSize !== s) {
    throw invalid(
      `${where}: encoder.frameSize must equal frameSize ${s}, but got ${JSON.stringify(config.encoder.frameSize)}.`,
    );
  }
  if (config.aggregation !== "sum" && config.aggregation !== "mean") {
    throw invalid(
      `${where}: aggregation must be "sum" or "mean", but got ${JSON.stringify(config.aggregation)}.`,
    );
  }
  if (config.reader !== undefined) {
    const reader = resolveReader(config.reader);
    if (draw.readChannels !== reader.valueChannels) {
      throw invalid(
        `${where}: draw.readChannels must equal reader.valueChannels ${reader.valueChannels}, but got ${draw.readChannels}.`,
      );
    }
  } else if (draw.readChannels !== 0) {
    throw invalid(`${where}: draw.readChannels must be 0 without a reader, but got ${draw.readChannels}.`);
  }
  let grid: readonly [number, number, number];
  try {
    // A layer object without weights: no tensor is made here.
    grid = createEncoder(config.encoder).outputShape;
  } catch (error) {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: encoder ${JSON.stringify(config.encoder.type)} at ${s}x${s} px: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const core = s / scale;
  const [h, w] = grid;
  if (!(h === w && core % h === 0)) {
    throw invalid(
      `${where}: the encoder's output grid must be square and divide DRAW's core grid ${core}x${core} (frameSize / ${scale}; 1x1 is tiled, a coarser grid repeated), but ${config.encoder.type} gives ${h}x${w} at ${s} px.`,
    );
  }
  return draw;
}

/** A reader config resolved, its errors in the form of the other fields'. */
function resolveReader(config: Partial<EpipolarReaderConfig>): EpipolarReaderConfig {
  try {
    return resolveEpipolarReaderConfig(config);
  } catch (error) {
    throw new GqnError("INVALID_CONFIG", `resolveGqnConfig: reader: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function invalid(message: string): GqnError {
  return new GqnError("INVALID_CONFIG", message);
}
