// A GqnModel as a data-parallel replica (@gqn/backend's createDataParallel): its trainable
// variables and the ELBO of a shard at the step's sigma, with the NLL and KL as metrics.
import { builtModule, type Replica, type ReplicaStepContext } from "@gqn/backend/node";
import { deriveSeed, GqnError } from "@gqn/core";
import { type GqnConfig, GqnModel } from "@gqn/model";
import type * as tf from "@tensorflow/tfjs-core";

/** The JSON config of {@link buildReplica}: what every worker rebuilds its replica from. */
export interface GqnReplicaConfig {
  gqn: GqnConfig;
  /** Initialiser seed; irrelevant to training (the main replica's weights are copied in), kept for determinism. */
  seed?: number;
}

/** The metrics a GQN replica reports beside its loss: what the trainer needs of any gradient source. */
export type ElboMetricName = "nll" | "kl";

/**
 * The replica of `model` (borrowed: disposing the replica does not dispose it). Its loss reads
 * `sigma`, `seed` and the DRAW `steps` from the step context; shards past the first draw their posterior noise
 * from a seed mixed with their offset, so no two shards share noise.
 */
export function gqnReplica(model: GqnModel, options: { ownsModel?: boolean } = {}): Replica<ElboMetricName> {
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    loss(inputs, context: ReplicaStepContext) {
      const { sigma, seed, steps } = context as ReplicaStepContext & {
        sigma?: number;
        seed?: number;
        steps?: number;
      };
      if (typeof sigma !== "number" || !(sigma > 0)) {
        throw new GqnError(
          "INVALID_ARGUMENT",
          `gqnReplica: the step context must carry sigma > 0, but got ${JSON.stringify(sigma)}.`,
        );
      }
      const batch = {
        contextFrames: inputs.contextFrames as tf.Tensor5D,
        contextPoses: inputs.contextPoses as tf.Tensor3D,
        queryPose: inputs.queryPose as tf.Tensor2D,
        target: inputs.target as tf.Tensor4D,
      };
      for (const [name, tensor] of Object.entries(batch)) {
        if (!tensor)
          throw new GqnError("INVALID_ARGUMENT", `gqnReplica: the step inputs must include ${name}.`);
      }
      // The first shard samples as a single replica would; the others get their own noise.
      const shardSeed =
        seed === undefined || context.offset === 0 ? seed : deriveSeed(seed, "shard", context.offset);
      const terms = model.lossTerms(batch, sigma, {
        ...(shardSeed !== undefined && { seed: shardSeed }),
        ...(steps !== undefined && { steps }),
      });
      return { loss: terms.loss, metrics: { nll: terms.nll, kl: terms.kl } };
    },
    dispose() {
      if (options.ownsModel) model.dispose();
    },
  };
}

/** The replica module's entry: a fresh GqnModel from the config (each worker calls it once). */
export function buildReplica(config: GqnReplicaConfig): Replica<ElboMetricName> {
  if (!config || typeof config !== "object" || !config.gqn) {
    throw new GqnError("INVALID_ARGUMENT", "buildReplica: config must be { gqn: GqnConfig }.");
  }
  const model = GqnModel.create(config.gqn, config.seed === undefined ? {} : { seed: config.seed });
  return gqnReplica(model, { ownsModel: true });
}

/**
 * The module data-parallel workers import (`replicaModule` of createDataParallel, with a
 * {@link GqnReplicaConfig} as `replicaConfig`): dist/gqn-replica.js beside this bundle, or the
 * package's dist/ when this module runs from src/ (the package's own tests).
 */
export function gqnReplicaModule(): URL {
  return builtModule(
    "gqn-replica.js",
    import.meta.url,
    "gqnReplicaModule",
    "build @gqn/train (pnpm build)",
    "@gqn/train",
  );
}
