// How well this machine runs two compute threads at once, independent of data-parallel
// training: the same XNNPACK convolutions (a DRAW-core-like 5x5 conv, forward + both gradients)
// run R times on one worker thread, then R/2 times on each of two worker threads at once.
// `node bench/core-scaling.mjs [R]` after a build. A ratio well under 2 means the cores (or
// vCPUs sharing a physical core, or other jobs) cannot give data-parallel workers 2x.
import { cpus, loadavg } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

if (isMainThread) {
  const reps = Number(process.argv[2] ?? 8);
  const run = (threads) =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      let done = 0;
      for (let i = 0; i < threads; i++) {
        const worker = new Worker(new URL(import.meta.url), { workerData: { reps: reps / threads } });
        worker.on("message", (message) => {
          if (message !== "done") return;
          worker.terminate();
          if (++done === threads) resolve(performance.now() - start);
        });
        worker.on("error", reject);
      }
    });
  await run(1); // warm the file cache
  const one = await run(1);
  const two = await run(2);
  console.log(
    `${reps} conv steps: 1 thread ${one.toFixed(0)} ms, 2 threads ${two.toFixed(0)} ms: ${(one / two).toFixed(2)}x on ${cpus().length} cores (load average ${loadavg()[0].toFixed(1)}; includes each thread's ~0.3 s start-up)`,
  );
} else {
  const tf = await import("@tensorflow/tfjs-core");
  const { initBackend } = await import("../dist/index.js");
  tf.enableProdMode();
  await initBackend({ backend: "wasm", log: () => {} });
  const x = tf.randomNormal([4, 8, 8, 263]);
  const w = tf.randomNormal([5, 5, 263, 256]);
  const f = (a, b) => tf.sum(tf.conv2d(a, b, 1, "same"));
  for (let i = 0; i < workerData.reps; i++) tf.dispose(tf.grads(f)([x, w]));
  parentPort.postMessage("done");
}
