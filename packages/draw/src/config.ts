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
  /** ConvLSTM kernel size. */
  kernelSize: number;
}

/** tf-gqn's defaults (the seed). */
export const DEFAULT_DRAW_CONFIG: Readonly<DrawConfig> = Object.freeze({
  steps: 8,
  hiddenChannels: 256,
  canvasChannels: 256,
  latentChannels: 64,
  kernelSize: 5,
});
