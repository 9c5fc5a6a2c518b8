// The smallest GQN the loop's tests train: 16 px frames, 2 DRAW steps, 8 channels. A step takes
// milliseconds on wasm, so the loop is tested on the real model.
import type { GqnConfigOverrides } from "@gqn/model";

/** train()'s `model` option over the tiny preset (its data: `syntheticDataset({ frameSize: 16 })`). */
export const TINY_GQN = {
  frameSize: 16,
  encoder: { channels: 8 },
  draw: { steps: 2, hiddenChannels: 8, canvasChannels: 8, latentChannels: 2 },
} satisfies GqnConfigOverrides;
