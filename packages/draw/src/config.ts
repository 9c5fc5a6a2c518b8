import { checkInteger, GqnError } from "@gqn/core";

/** Construction-time DRAW configuration (JSON only; stored in checkpoints). */
export interface DrawConfig {
  /** Generation steps L. */
  steps: number;
  /** Hidden channels C of each ConvLSTM core. */
  hiddenChannels: number;
  /** Canvas channels Cu. */
  canvasChannels: number;
  /** Latent channels Z. */
  latentChannels: number;
  /** Kernel size of the ConvLSTM convolutions and of the latent heads. */
  kernelSize: number;
  /** Channels of the images generated (3 for RGB). */
  imageChannels: number;
  /**
   * How much the canvas is upsampled from the core grid (transposed conv k = s = this): the image
   * is `scale` times the condition's size. 4 in the GQN.
   */
  scale: number;
  /** One set of core, head and canvas weights for all L steps (true), or one per step (the paper's option). */
  tied: boolean;
  /**
   * Channels of a per-step read ({@link DrawRead}) that joins both cores' inputs: what a core
   * looks up with its own hidden state at each step (an attention over a memory, say). 0: none.
   */
  readChannels: number;
}

/** tf-gqn's defaults (the seed). */
export const DEFAULT_DRAW_CONFIG: Readonly<DrawConfig> = Object.freeze({
  steps: 8,
  hiddenChannels: 256,
  canvasChannels: 256,
  latentChannels: 64,
  kernelSize: 5,
  imageChannels: 3,
  scale: 4,
  tied: true,
  readChannels: 0,
});

const INTEGER_KEYS = [
  "steps",
  "hiddenChannels",
  "canvasChannels",
  "latentChannels",
  "kernelSize",
  "imageChannels",
  "scale",
] as const;

/**
 * The defaults filled in and every field checked: what a checkpoint stores. Unknown keys are
 * rejected (a typo would otherwise silently train the default).
 */
export function resolveDrawConfig(config: Partial<DrawConfig> = {}): DrawConfig {
  for (const key of Object.keys(config)) {
    if (!(key in DEFAULT_DRAW_CONFIG)) {
      throw new GqnError(
        "INVALID_CONFIG",
        `resolveDrawConfig: unknown key "${key}"; known keys: ${Object.keys(DEFAULT_DRAW_CONFIG).join(", ")}.`,
      );
    }
  }
  const resolved: DrawConfig = { ...DEFAULT_DRAW_CONFIG };
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of INTEGER_KEYS)
    checkInteger(resolved[key], "resolveDrawConfig", key, { code: "INVALID_CONFIG" });
  checkInteger(resolved.readChannels, "resolveDrawConfig", "readChannels", {
    code: "INVALID_CONFIG",
    min: 0,
  });
  if (resolved.kernelSize % 2 === 0) {
    throw new GqnError(
      "INVALID_CONFIG",
      `resolveDrawConfig: kernelSize must be odd ('same' padding centres it), but got ${resolved.kernelSize}.`,
    );
  }
  if (typeof resolved.tied !== "boolean") {
    throw new GqnError(
      "INVALID_CONFIG",
      `resolveDrawConfig: tied must be a boolean, but got ${JSON.stringify(resolved.tied)}.`,
    );
  }
  return resolved;
}
