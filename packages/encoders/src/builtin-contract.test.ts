import { createEncoder } from "./create-encoder.js";
import { describeSceneEncoder } from "./testing.js";

// Every built-in passes the contract third-party encoders run; small channels keep it fast.
describeSceneEncoder("tower (paper), 32 px", () =>
  createEncoder({ type: "tower", frameSize: 32, channels: 8, seed: 1 }),
);
describeSceneEncoder("tower (tf-gqn), 32 px", () =>
  createEncoder({ type: "tower-tfgqn", frameSize: 32, channels: 8, seed: 2 }),
);
describeSceneEncoder("pool, 32 px", () =>
  createEncoder({ type: "pool", frameSize: 32, channels: 8, seed: 3 }),
);
describeSceneEncoder("pyramid, 32 px", () =>
  createEncoder({ type: "pyramid", frameSize: 32, channels: 16, seed: 4 }),
);
