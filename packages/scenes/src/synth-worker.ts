// Worker-thread entry of writeSyntheticDataset: receives file tasks, renders and writes each, and
// reports every finished scene so the main thread can draw progress.
import { parentPort } from "node:worker_threads";
import { runSynthFileTask, type SynthFileTask } from "./synth-task.js";

/** Messages a synth worker posts to the main thread. */
export type SynthWorkerMessage =
  | { type: "scene" }
  | { type: "done"; path: string }
  | { type: "error"; path: string; message: string; code?: string; stack?: string };

const port = parentPort;
if (port) {
  port.on("message", (task: SynthFileTask) => {
    const post = (message: SynthWorkerMessage): void => port.postMessage(message);
    runSynthFileTask(task, () => post({ type: "scene" })).then(
      () => post({ type: "done", path: task.path }),
      (error: unknown) => {
        const e = error as { message?: string; code?: string; stack?: string };
        post({
          type: "error",
          path: task.path,
          message: String(e?.message ?? error),
          code: e?.code,
          stack: e?.stack,
        });
      },
    );
  });
}
