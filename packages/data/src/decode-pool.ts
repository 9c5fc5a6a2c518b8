import { Worker } from "node:worker_threads";
import { GqnError } from "@gqn/core";
import type { DecodeBatchJob, DecodeBatchResult } from "./decode-batch.js";

interface Pending {
  resolve: (result: DecodeBatchResult) => void;
  reject: (error: unknown) => void;
  worker: number;
}

/**
 * A fixed pool of decode worker threads. Each job goes to the worker with the fewest jobs in flight; a
 * worker is referenced (keeps the process alive) only while it has work, so a forgotten iterator does not
 * hold the process open.
 */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private failure: unknown;

  constructor(count: number, url: URL) {
    for (let w = 0; w < count; w++) {
      const worker = new Worker(url);
      worker.unref();
      worker.on("message", (result: DecodeBatchResult) => {
        const job = this.pending.get(result.id);
        if (!job) return;
        this.pending.delete(result.id);
        this.settle(w);
        job.resolve(result);
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0)
          this.fail(
            new GqnError("IO_ERROR", `createSceneBatches: a decode worker exited with code ${code}.`),
          );
      });
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  /** Decodes a job on the least busy worker. The job's buffers are transferred (unusable afterwards). */
  run(job: DecodeBatchJob): Promise<DecodeBatchResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if ((this.load[i] as number) < (this.load[w] as number)) w = i;
    const worker = this.workers[w] as Worker;
    if (this.load[w] === 0) worker.ref();
    this.load[w] = (this.load[w] as number) + 1;
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject, worker: w });
      worker.postMessage(job, [job.jpegs.buffer as ArrayBuffer, job.offsets.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker; jobs in flight reject. */
  async close(): Promise<void> {
    this.fail(new GqnError("INVALID_ARGUMENT", "createSceneBatches: the iterator was closed."));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(w: number): void {
    this.load[w] = (this.load[w] as number) - 1;
    if (this.load[w] === 0) this.workers[w]?.unref();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      this.settle(job.worker);
      job.reject(this.failure);
    }
  }
}
