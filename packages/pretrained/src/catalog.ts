// The models this package ships: what each is, and where its files are. Each entry's files sit
// in models/<name>/ (model.json, weights.bin in float16, info.json with the step and configs).
import { GqnError } from "@gqn/core";

/** The name of a shipped model. */
export type PretrainedName = "rooms-32";

/** What a shipped model is, and how it was made. */
export interface PretrainedModelCard {
  readonly name: PretrainedName;
  readonly description: string;
  /** The dataset kind it renders (`@gqn/scenes`' name, as gqn-synth writes it). */
  readonly dataset: string;
  /** Frame width and height of its inputs and renders. */
  readonly frameSize: number;
  /** Context views it was trained with. */
  readonly contextSize: number;
  /** The command that trained it (the main job of this repository), and its data seed. */
  readonly recipe: string;
  readonly dataSeed: number;
}

/** Every shipped model. */
export const PRETRAINED_MODELS: Readonly<Record<PretrainedName, PretrainedModelCard>> = Object.freeze({
  "rooms-32": Object.freeze({
    name: "rooms-32",
    description:
      "A GQN (tiny preset, tower encoder, L4) with the epipolar reader, trained on synthetic rooms_ring_camera scenes at 32 px on a 2-core CPU; float16 weights",
    dataset: "rooms_ring_camera",
    frameSize: 32,
    contextSize: 5,
    recipe:
      "pnpm start -- --minutes 120 --steps 36000 --train-scenes 20000 --seed 1 (examples/train-synthetic)",
    dataSeed: 1,
  }),
});

/** The card of `name`, or INVALID_ARGUMENT (from `where`) listing the shipped names. */
export function pretrainedCard(name: string, where: string): PretrainedModelCard {
  const card = (PRETRAINED_MODELS as Record<string, PretrainedModelCard>)[name];
  if (!card) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: no pretrained model named "${name}"; the shipped ones: ${Object.keys(PRETRAINED_MODELS).join(", ")}.`,
    );
  }
  return card;
}
