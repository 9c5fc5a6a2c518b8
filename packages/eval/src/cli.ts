// The commands bin/gqn-eval.mjs and bin/gqn-render.mjs run: a build entry of their own, outside
// the package's exports (the commands are the interface; evaluateCheckpoint and renderCheckpoint
// are the library's).
export { runEvalCli } from "./node/run-eval-cli.js";
export { runRenderCli } from "./node/run-render-cli.js";
