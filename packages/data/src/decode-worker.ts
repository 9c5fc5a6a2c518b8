// Entry of a decode worker thread (built to dist/decode-worker.js): decodes batches the main thread sends.
import { parentPort } from "node:worker_threads";
import { type DecodeBatchJob, decodeBatch } from "./decode-batch.js";

if (!parentPort) throw new Error("decode-worker: must run as a worker thread.");
const port = parentPort;
port.on("message", (job: DecodeBatchJob) => {
  const result = decodeBatch(job);
  port.postMessage(result, [result.context.buffer as ArrayBuffer, result.target.buffer as ArrayBuffer]);
});
