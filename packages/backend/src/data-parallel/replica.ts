import type * as tf from "@tensorflow/tfjs-core";

/** Per-step values a replica's loss sees: the caller's JSON context plus where its shard sits. */
export interface ReplicaStepContext {
  /** Index of this replica's shard (0 is the main thread's). */
  readonly shard: number;
  /** Number of shards this step was split into. */
  readonly shards: number;
  /** Index, in the whole batch, of this shard's first example (e.g. to derive noise seeds). */
  readonly offset: number;
  /** Examples in the whole batch. */
  readonly batchSize: number;
  /** Whatever the caller passed as `context` to `computeGradients` / `trainStep` (JSON). */
  readonly [key: string]: unknown;
}

/** A replica's loss with named metrics `M` (scalars, means over the shard's examples). */
export interface ReplicaLoss<M extends string = string> {
  readonly loss: tf.Scalar;
  readonly metrics?: Readonly<Record<M, tf.Scalar>>;
}

/**
 * One copy of a model, as data-parallel training drives it. Every replica built from the same
 * config must list the same variables (shapes, order); values need not match at build time:
 * they are copied from the main thread's replica before every step.
 */
export interface Replica<M extends string = string> {
  /** The trainable variables, float32, in a fixed order (e.g. `model.trainableWeights.map((w) => w.read())`). */
  readonly variables: readonly tf.Variable[];
  /**
   * The loss on a shard of the batch, as a scalar: the MEAN over the shard's examples (shards
   * of different sizes are weighted by size, so the average of the shard gradients is the
   * whole batch's gradient). Called inside `tf.variableGrads`; inputs are borrowed. It may also
   * return named scalar metrics (e.g. the terms of the loss, each a mean over the shard's
   * examples), named by `M` so that a consumer needing some of them fails to compile without
   * them: they are averaged over the shards like the loss.
   */
  loss(inputs: Readonly<Record<string, tf.Tensor>>, context: ReplicaStepContext): tf.Scalar | ReplicaLoss<M>;
  /** Frees what the replica holds (called when the data-parallel group is disposed). */
  dispose?(): void;
}

/**
 * What a replica module exports, as `buildReplica` or its default export: builds a replica from
 * a JSON config, in the main thread and in every worker. The module must be loadable by plain
 * Node (JavaScript, resolvable from its own location) and import the same tfjs packages as the
 * rest of the program.
 */
export type BuildReplica = (config: unknown) => Replica | Promise<Replica>;
