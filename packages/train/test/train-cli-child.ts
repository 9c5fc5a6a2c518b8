// Child process of signals.test.ts: gqn-train as the bin runs it (real process signals), on the
// wasm backend, with JPEG decoding on the main thread (a bundle has no decode-worker file). The
// test bundles it with the pose-decoder model in place of the GQN factory.
import { runTrainCli } from "../src/node.js";

process.exitCode = await runTrainCli([...process.argv.slice(2), "--data-workers", "0", "--no-progress"]);
