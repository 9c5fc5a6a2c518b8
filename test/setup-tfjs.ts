// Runs once per test file in packages that use tfjs: one engine, gradients registered, and the
// backend the suite runs on (wasm unless GQN_TEST_BACKEND says otherwise).
import * as tf from "@tensorflow/tfjs-core";
import { type BackendRequest, initBackend } from "../packages/backend/src/index.js";

tf.enableProdMode();
await initBackend({
  backend: (process.env.GQN_TEST_BACKEND as BackendRequest | undefined) ?? "wasm",
  log: () => {},
});
