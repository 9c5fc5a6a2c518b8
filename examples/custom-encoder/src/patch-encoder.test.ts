import { createEncoder } from "@gqn/encoders";
import { describeSceneEncoder } from "@gqn/encoders/testing";
import { PatchEncoder } from "./patch-encoder.js";

// The same contract the built-in Tower, Pool and Pyramid pass.
describeSceneEncoder("PatchEncoder", () => new PatchEncoder({ frameSize: 32, channels: 8, seed: 1 }));
describeSceneEncoder("PatchEncoder through createEncoder", () =>
  createEncoder({ type: "patch", frameSize: 16, channels: 8, seed: 2 }),
);
