// A process that installs stopOnSignals and, once asked to stop, blocks its event loop for 15 s:
// what a long synchronous step (a wasm kernel, a final evaluation) does to signal handlers.
import { stopOnSignals } from "../src/node/stop-on-signals.js";

stopOnSignals((line) => process.stderr.write(`${line}\n`)).signal.addEventListener("abort", () => {
  setTimeout(() => {
    process.stderr.write("busy\n");
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      // a synchronous step
    }
    process.stderr.write("finished the step\n");
    process.exit(0);
  }, 0);
});
process.stderr.write("ready\n");
setInterval(() => {}, 1000);
