// Worker entry of createDataParallel: holds one replica, and per step copies the shared weights
// in, computes the gradient of its shard's loss and writes it to its slot of the shared buffer.
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../backend-selection.js";
import { enableOnnxConvAccelerator } from "../onnx/onnx-conv-accelerator.js";
import type { FromWorker, ReplicaWorkerData, ToWorker, WireTensor } from "./protocol.js";
import { loadReplica, shardGradients, variableLayout } from "./replica-runtime.js";

const data = workerData as ReplicaWorkerData;
const port = parentPort;
// No top-level await: the package's CJS build compiles this entry too.
const send = (message: FromWorker) => port?.postMessage(message);

void start();

async function start(): Promise<void> {
  try {
    tf.enableProdMode();
    await initBackend({ backend: data.backend, log: () => {} });
    if (data.onnxThreads !== undefined) enableOnnxConvAccelerator({ threads: data.onnxThreads });
    const replica = await loadReplica(data.moduleUrl, data.config);
    const layout = variableLayout(replica.variables);
    const weights = new Float32Array(data.weights);
    const grads = new Float32Array(data.grads, data.slot * weights.length * 4, weights.length);

    if (!port) throw new Error("replica-worker: must run as a worker thread.");
    port.on("message", (message: ToWorker) => {
      if (message.type === "close") {
        replica.dispose?.();
        port.close();
        return;
      }
      try {
        // Weights in: copies (a backend may keep the array it is given, and this one is shared).
        replica.variables.forEach((v, i) => {
          const { offset, size } = layout[i] as { offset: number; size: number };
          tf.tidy(() => v.assign(tf.tensor(weights.slice(offset, offset + size), v.shape, "float32")));
        });
        const inputs = Object.fromEntries(message.inputs.map((t) => [t.name, toTensor(t)]));
        const result = shardGradients(replica, inputs, message.context, layout, grads, data.microBatchSize);
        tf.dispose(Object.values(inputs));
        send({ type: "done", id: message.id, loss: result.loss, metrics: result.metrics });
      } catch (error) {
        send({ type: "error", id: message.id, message: describe(error) });
      }
    });
    send({
      type: "ready",
      shapes: replica.variables.map((v) => [...v.shape]),
      dtypes: replica.variables.map((v) => v.dtype),
    });
  } catch (error) {
    send({ type: "error", message: describe(error) });
  }
}

function toTensor(t: WireTensor): tf.Tensor {
  const values =
    t.dtype === "float32"
      ? new Float32Array(t.data)
      : t.dtype === "int32"
        ? new Int32Array(t.data)
        : new Uint8Array(t.data);
  return tf.tensor(values, t.shape, t.dtype);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
}
