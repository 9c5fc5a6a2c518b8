// Adam's state as named tensors: the one way a trainer's optimizer is saved and restored (the
// trainer's get/setOptimizerState, and through them the checkpoints). It reads and writes two
// private fields of tfjs's AdamOptimizer on purpose, guarded: without the running beta powers a
// restored optimizer drifts from the original in the last float32 bits.
import { GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

/** A named tensor as tfjs optimizers save them (`Optimizer.getWeights`). */
export type NamedTensor = Awaited<ReturnType<tf.Optimizer["getWeights"]>>[number];

/** The names of Adam's running bias-correction products `beta1^t`, `beta2^t` in a saved state. */
export const BETA1_POWER = "adam/beta1_power";
export const BETA2_POWER = "adam/beta2_power";

/** A trained weight, as the state's moments must fit it. */
export interface StateWeight {
  /** What messages call it. */
  name: string;
  shape: readonly number[];
}

/**
 * The state of `optimizer`: `iter` (updates applied), the first and then the second moments of
 * every weight (tfjs's `Optimizer.getWeights` layout), then {@link BETA1_POWER} and
 * {@link BETA2_POWER}. Copies, owned by the caller.
 */
export async function readAdamState(optimizer: tf.AdamOptimizer): Promise<NamedTensor[]> {
  const [iterations, ...moments] = await optimizer.getWeights();
  const powers = adamPowers(optimizer);
  // getWeights makes a fresh iterations scalar, but hands out the live moment variables: copy those.
  return [
    ...(iterations ? [iterations] : []),
    ...moments.map(({ name, tensor }) => ({ name, tensor: tf.clone(tensor) })),
    ...(powers
      ? [
          { name: BETA1_POWER, tensor: tf.clone(powers.accBeta1) },
          { name: BETA2_POWER, tensor: tf.clone(powers.accBeta2) },
        ]
      : []),
  ];
}

/**
 * Gives `optimizer` a state from {@link readAdamState} (tensors borrowed). The two power entries
 * are optional: without them Adam recomputes `beta^t` with `pow`; with them the next steps are
 * the ones the saved optimizer would have made, bit for bit. `weights` are the trained weights in
 * the optimizer's order; `where` starts the messages.
 *
 * @throws GqnError `INVALID_ARGUMENT` when the state does not fit the weights.
 */
export async function writeAdamState(
  optimizer: tf.AdamOptimizer,
  state: readonly NamedTensor[],
  weights: readonly StateWeight[],
  where: string,
): Promise<void> {
  const saved = new Map(
    state.filter((s) => s.name === BETA1_POWER || s.name === BETA2_POWER).map((s) => [s.name, s.tensor]),
  );
  const slots = state.filter((s) => s.name !== BETA1_POWER && s.name !== BETA2_POWER);
  const [iterations, ...moments] = slots;
  if (iterations?.tensor.size !== 1 || (moments.length !== 0 && moments.length !== 2 * weights.length)) {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `${where}: state must be the iteration count and 2 x ${weights.length} moments, but got ${slots.length} tensors.`,
    );
  }
  moments.forEach(({ name, tensor }, i) => {
    const weight = weights[i % weights.length];
    if (weight && !tf.util.arraysEqual(tensor.shape, [...weight.shape])) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `${where}: moment ${name} must have shape [${weight.shape.join(", ")}] (of ${weight.name}), but got [${tensor.shape.join(", ")}].`,
      );
    }
  });
  // setWeights replaces the moment variables without freeing the old ones.
  const [oldIterations, ...oldMoments] = await optimizer.getWeights();
  tf.dispose([oldIterations?.tensor, ...oldMoments.map((m) => m.tensor)].filter((t) => t !== undefined));
  await optimizer.setWeights(slots);
  // setWeights recomputes beta^t with pow(); the saved running products continue the run bit for bit.
  const powers = adamPowers(optimizer);
  const beta1 = saved.get(BETA1_POWER);
  const beta2 = saved.get(BETA2_POWER);
  if (powers && beta1 && beta2) {
    tf.tidy(() => {
      powers.accBeta1.assign(tf.reshape(beta1, []));
      powers.accBeta2.assign(tf.reshape(beta2, []));
    });
  }
}

/** tfjs's AdamOptimizer keeps beta1^t and beta2^t as private running products. */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamPowers(optimizer: tf.AdamOptimizer): AdamPowers | undefined {
  const adam = optimizer as unknown as Partial<AdamPowers>;
  if (!(adam.accBeta1 instanceof tf.Variable) || !(adam.accBeta2 instanceof tf.Variable)) return undefined;
  return { accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 };
}
