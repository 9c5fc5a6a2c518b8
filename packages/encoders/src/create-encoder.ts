import { GqnError } from "@gqn/core";
import { PyramidEncoder } from "./pyramid-encoder.js";
import type { SceneEncoderLayer } from "./scene-encoder-layer.js";
import { PoolEncoder, TowerEncoder, type TowerVariant } from "./tower-encoder.js";

/** The built-in encoder types. `tower-tfgqn` is the tower with `variant: "tf-gqn"`. */
export type BuiltinEncoderType = "tower" | "tower-tfgqn" | "pool" | "pyramid";

/**
 * Which encoder to build (JSON only: it is stored in checkpoints, and `createEncoder` on the same
 * config builds an equivalent encoder). Fields an encoder type does not use are ignored by it.
 */
export interface EncoderConfig {
  /** A built-in type, or a name given to {@link registerEncoderType}. */
  type: BuiltinEncoderType | (string & {});
  /** Height and width of the square input frames, in pixels (tower/pool: a multiple of 4; pyramid: of 8). */
  frameSize: number;
  /** Output channels c; default 256 (the paper's). */
  channels?: number;
  /**
   * Inner widths. Tower and pool: the residual branch channels, default `channels / 2` (paper
   * 128). Pyramid: the three stride-2 convolutions, default `[c/8, c/4, c/2]` (paper 32, 64, 128).
   */
  hiddenChannels?: number | readonly [number, number, number];
  /** Pool only: which tower runs before the mean; default `paper` (`tf-gqn` for its checkpoints). */
  variant?: TowerVariant;
  /** Pose vector length; default 7. */
  poseSize?: number;
  /** Seed of the weight initialisers; default unseeded. */
  seed?: number;
  /** Layer name (weight names start with it); default from the class, made unique by tfjs. */
  name?: string;
}

/**
 * Builds a custom encoder from an {@link EncoderConfig} whose `type` names it. It must pass
 * `config.name` (when set) to the layer, and should honour `frameSize`, `poseSize` and `seed`.
 */
export type EncoderFactory = (config: EncoderConfig) => SceneEncoderLayer;

const factories = new Map<string, EncoderFactory>();

/**
 * Makes `createEncoder({ type, ... })` build a custom encoder, so @gqn/model's configs and saved
 * models, and @gqn/train's CLIs and checkpoints, can name it like a built-in. Registering the same type twice replaces the
 * factory; built-in type names cannot be taken.
 */
export function registerEncoderType(type: string, factory: EncoderFactory): void {
  if (typeof type !== "string" || type.length === 0 || BUILTIN_TYPES.includes(type as BuiltinEncoderType)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `registerEncoderType: type must be a new non-empty name (not one of ${BUILTIN_TYPES.join(", ")}), but got ${JSON.stringify(type)}.`,
    );
  }
  factories.set(type, factory);
}

/** The encoder types `createEncoder` accepts now: built-ins first, then registered ones. */
export function encoderTypes(): string[] {
  return [...BUILTIN_TYPES, ...factories.keys()];
}

const BUILTIN_TYPES: readonly BuiltinEncoderType[] = ["tower", "tower-tfgqn", "pool", "pyramid"];

/**
 * Builds the representation network an {@link EncoderConfig} describes. The layer creates its
 * weights on first use (`encode`, `apply`, or `build([[null, H, W, 3], [null, 7]])`).
 *
 * | type | output per view | frameSize |
 * |---|---|---|
 * | `tower`, `tower-tfgqn` | `[frameSize/4, frameSize/4, c]` | multiple of 4 |
 * | `pool` | `[1, 1, c]` | multiple of 4 |
 * | `pyramid` | `[1, 1, c]` | multiple of 8 |
 *
 * @throws GqnError `INVALID_CONFIG` for an unknown type or invalid sizes.
 */
export function createEncoder(config: EncoderConfig): SceneEncoderLayer {
  if (config === null || typeof config !== "object") {
    throw new GqnError(
      "INVALID_CONFIG",
      `createEncoder: config must be an object, but got ${String(config)}.`,
    );
  }
  if (BUILTIN_TYPES.includes(config.type as BuiltinEncoderType)) checkKeys(config);
  const common = {
    frameSize: config.frameSize,
    ...(config.poseSize !== undefined && { poseSize: config.poseSize }),
    ...(config.seed !== undefined && { seed: config.seed }),
    ...(config.name !== undefined && { name: config.name }),
    ...(config.channels !== undefined && { channels: config.channels }),
  };
  const hidden = config.hiddenChannels;
  switch (config.type) {
    case "tower":
    case "tower-tfgqn":
    case "pool": {
      if (hidden !== undefined && typeof hidden !== "number") {
        throw new GqnError(
          "INVALID_CONFIG",
          `createEncoder: hiddenChannels of a ${config.type} encoder must be a number, but got ${JSON.stringify(hidden)}.`,
        );
      }
      const variant =
        config.type === "tower-tfgqn" ? "tf-gqn" : config.type === "pool" ? config.variant : "paper";
      const args = {
        ...common,
        ...(hidden !== undefined && { hiddenChannels: hidden }),
        ...(variant !== undefined && { variant }),
      };
      return config.type === "pool" ? new PoolEncoder(args) : new TowerEncoder(args);
    }
    case "pyramid": {
      if (hidden !== undefined && typeof hidden === "number") {
        throw new GqnError(
          "INVALID_CONFIG",
          `createEncoder: hiddenChannels of a pyramid encoder must be three numbers, but got ${hidden}.`,
        );
      }
      return new PyramidEncoder({ ...common, ...(hidden !== undefined && { hiddenChannels: hidden }) });
    }
    default: {
      const factory = factories.get(config.type);
      if (!factory) {
        throw new GqnError(
          "INVALID_CONFIG",
          `createEncoder: type must be one of ${encoderTypes().join(", ")}, but got ${JSON.stringify(config.type)}. Register custom encoders with registerEncoderType.`,
        );
      }
      const encoder = factory(config);
      // Containing layers rely on the name to find the weights again at load time.
      if (config.name !== undefined && encoder.name !== config.name) {
        throw new GqnError(
          "INVALID_CONFIG",
          `createEncoder: the factory of "${config.type}" must pass config.name to the layer, but it named the layer "${encoder.name}" instead of "${config.name}".`,
        );
      }
      return encoder;
    }
  }
}

const KNOWN_KEYS = new Set([
  "type",
  "frameSize",
  "channels",
  "hiddenChannels",
  "variant",
  "poseSize",
  "seed",
  "name",
]);

/** Catches typos (`channel: 64`) and settings that a built-in type would silently ignore. */
function checkKeys(config: EncoderConfig): void {
  const unknown = Object.keys(config).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) {
    throw new GqnError(
      "INVALID_CONFIG",
      `createEncoder: ${config.type} encoder configs take ${[...KNOWN_KEYS].join(", ")}, but got unknown ${unknown.map((k) => JSON.stringify(k)).join(", ")}.`,
    );
  }
  if (config.variant !== undefined && config.type !== "pool") {
    throw new GqnError(
      "INVALID_CONFIG",
      `createEncoder: variant applies to pool encoders only (use type "tower" or "tower-tfgqn"), but got variant ${JSON.stringify(config.variant)} with type "${config.type}".`,
    );
  }
}

/**
 * The config with every default filled in, as the encoder it builds will use it: what to store in
 * a checkpoint, so a later change of defaults cannot change a saved model. Validates like
 * {@link createEncoder}. Custom types are returned unchanged (after their factory accepts them).
 */
export function resolveEncoderConfig(config: EncoderConfig): EncoderConfig {
  const encoder = createEncoder(config);
  const common = {
    frameSize: encoder.frameSize,
    poseSize: encoder.poseSize,
    ...(encoder.seed !== undefined && { seed: encoder.seed }),
    ...(config.name !== undefined && { name: config.name }),
  };
  if (encoder instanceof TowerEncoder) {
    return {
      type: config.type,
      ...common,
      channels: encoder.channels,
      hiddenChannels: encoder.hiddenChannels,
      ...(config.type === "pool" && { variant: encoder.variant }),
    };
  }
  if (encoder instanceof PyramidEncoder) {
    return {
      type: config.type,
      ...common,
      channels: encoder.channels,
      hiddenChannels: [...encoder.hiddenChannels],
    };
  }
  return { ...config };
}
