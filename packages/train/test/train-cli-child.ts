// Child process of signals.test.ts and run-lock.test.ts: gqn-train as the bin runs it (real
// process signals), with JPEG decoding on the main thread (a bundle has no decode-worker file).
import { runTrainCli } from "../src/node.js";

process.exitCode = await runTrainCli([...process.argv.slice(2), "--data-workers", "0", "--no-progress"]);
