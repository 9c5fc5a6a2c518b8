// What the main thread and the workers do alike: load a replica module, lay its variables out
// in one flat float32 buffer, and compute a shard's gradients into such a buffer.
import { GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import type { BuildReplica, Replica, ReplicaLoss, ReplicaStepContext } from "./replica.js";

/** A shard's loss and metrics (numbers, means over its examples). */
export interface ShardResult {
  loss: number;
  metrics: Record<string, number>;
}

/** Where each variable sits in the flat buffers. */
export interface VariableSlot {
  readonly offset: number;
  readonly size: number;
}

/** Imports a replica module (by file: URL) and builds its replica from `config`. */
export async function loadReplica(moduleUrl: string, config: unknown): Promise<Replica> {
  const module = (await import(/* @vite-ignore */ moduleUrl)) as {
    buildReplica?: BuildReplica;
    default?: BuildReplica | { buildReplica?: BuildReplica };
  };
  const build =
    module.buildReplica ??
    (typeof module.default === "function" ? module.default : module.default?.buildReplica);
  if (typeof build !== "function") {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `createDataParallel: replicaModule must export buildReplica(config) (or a default function), but ${moduleUrl} exports neither.`,
    );
  }
  const replica = await build(config);
  if (!replica || !Array.isArray(replica.variables) || typeof replica.loss !== "function") {
    throw new GqnError(
      "INVALID_ARGUMENT",
      `createDataParallel: buildReplica must return { variables, loss }, but ${moduleUrl} returned ${typeof replica}.`,
    );
  }
  return replica;
}

/** Offsets of the variables in one flat buffer; they must all be float32. */
export function variableLayout(variables: readonly tf.Variable[]): VariableSlot[] {
  let offset = 0;
  return variables.map((v) => {
    if (v.dtype !== "float32") {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `createDataParallel: replica variables must be float32, but ${v.name} is ${v.dtype}.`,
      );
    }
    const slot = { offset, size: v.size };
    offset += v.size;
    return slot;
  });
}

/**
 * The gradient of the replica's loss on `inputs`, written into `out` (laid out by `layout`;
 * zeros for variables the loss does not use). Returns the loss and metrics. With `microBatchSize`, inputs
 * with more examples are run in chunks of at most that many and the chunk gradients averaged,
 * weighted by chunk size (the loss is a mean over examples, so that is the whole gradient).
 */
export function shardGradients(
  replica: Replica,
  inputs: Record<string, tf.Tensor>,
  context: object,
  layout: readonly VariableSlot[],
  out: Float32Array,
  microBatchSize?: number,
): ShardResult {
  const names = Object.keys(inputs);
  const examples = (inputs[names[0] as string] as tf.Tensor).shape[0] ?? 0;
  if (!microBatchSize || examples <= microBatchSize) {
    return chunkGradients(replica, inputs, context, layout, (offset, values) => out.set(values, offset));
  }
  out.fill(0);
  const total: ShardResult = { loss: 0, metrics: {} };
  const base = (context as { offset?: number }).offset ?? 0;
  for (let start = 0; start < examples; start += microBatchSize) {
    const size = Math.min(microBatchSize, examples - start);
    const weight = size / examples;
    const chunk = tf.tidy(() =>
      Object.fromEntries(names.map((name) => [name, tf.slice(inputs[name] as tf.Tensor, start, size)])),
    );
    try {
      const chunkResult = chunkGradients(
        replica,
        chunk,
        { ...context, offset: base + start },
        layout,
        (offset, values) => {
          for (let i = 0; i < values.length; i++)
            out[offset + i] = (out[offset + i] as number) + weight * (values[i] as number);
        },
      );
      total.loss += weight * chunkResult.loss;
      for (const [name, value] of Object.entries(chunkResult.metrics)) {
        total.metrics[name] = (total.metrics[name] ?? 0) + weight * value;
      }
    } finally {
      tf.dispose(Object.values(chunk));
    }
  }
  return total;
}

/** One forward + backward pass; hands each variable's gradient (or zeros) to `write`. */
function chunkGradients(
  replica: Replica,
  inputs: Record<string, tf.Tensor>,
  context: object,
  layout: readonly VariableSlot[],
  write: (offset: number, values: Float32Array) => void,
): ShardResult {
  const variables = replica.variables as tf.Variable[];
  let metricTensors: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const result = replica.loss(inputs, context as ReplicaStepContext);
    if (result instanceof tf.Tensor) return result;
    const { loss, metrics = {} } = result as ReplicaLoss;
    metricTensors = Object.fromEntries(Object.entries(metrics).map(([name, t]) => [name, tf.keep(t)]));
    return loss;
  }, variables);
  try {
    variables.forEach((v, i) => {
      const { offset, size } = layout[i] as VariableSlot;
      const grad = grads[v.name];
      write(offset, grad ? (grad.dataSync() as Float32Array) : new Float32Array(size));
    });
    const metrics = Object.fromEntries(
      Object.entries(metricTensors).map(([name, t]) => [name, t.dataSync()[0] as number]),
    );
    return { loss: value.dataSync()[0] as number, metrics };
  } finally {
    tf.dispose([value, ...Object.values(grads), ...Object.values(metricTensors)]);
  }
}
