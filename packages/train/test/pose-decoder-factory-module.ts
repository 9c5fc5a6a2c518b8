// Stands in for src/node/gqn-factory.ts in bundled child processes (signals.test.ts): the loop
// runs on the small pose-decoder model, so the test is about signals, not about GQN step times.
import { poseDecoderFactory } from "./pose-decoder-model.js";

export const gqnModelFactory = poseDecoderFactory;
