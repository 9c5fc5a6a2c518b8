import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  BatchMixingEncoder,
  LeakyEncoder,
  NamelessEncoder,
  OffGridEncoder,
  PoseBlindEncoder,
  TinyEncoder,
  UnregisteredEncoder,
  UnusedWeightEncoder,
  WrongShapeEncoder,
} from "../test/fixture-encoders.js";
import type { SceneEncoder } from "./scene-encoder.js";
import { sceneEncoderChecks } from "./scene-encoder-checks.js";
import { describeSceneEncoder } from "./testing.js";

// A custom encoder that keeps the contract passes the whole suite...
describeSceneEncoder("TinyEncoder (custom)", () => new TinyEncoder({ frameSize: 16, seed: 5 }));
// An off-grid encoder passes the rest when the grid clause is turned off.
describeSceneEncoder(
  "OffGridEncoder (coreGrid: false)",
  () => new OffGridEncoder({ frameSize: 16, seed: 6 }),
  {
    coreGrid: false,
  },
);

// ...and each clause catches the encoder that breaks it.
function check(name: string) {
  const found = sceneEncoderChecks.find((c) => c.name.startsWith(name));
  if (!found) throw new Error(`no check named ${name}`);
  return found;
}

describe("the contract suite fails broken encoders", () => {
  const cases: [string, (args: { frameSize: number; seed: number }) => SceneEncoder][] = [
    ["encodes [N, H, W, 3]", (a) => new WrongShapeEncoder(a)],
    ["outputs the DRAW core grid", (a) => new OffGridEncoder(a)],
    ["leaks no tensors", (a) => new LeakyEncoder(a)],
    ["encodes each view independently", (a) => new BatchMixingEncoder(a)],
    ["depends on the pose", (a) => new PoseBlindEncoder(a)],
    ["exposes trainable weights", (a) => new UnusedWeightEncoder(a)],
    ["saves and loads", (a) => new UnregisteredEncoder(a)],
    ["saves and loads", (a) => new NamelessEncoder(a)],
  ];
  // Until @gqn/backend registers it, the wasm backend cannot run conv backward passes.
  const noBackward = (name: string) =>
    check(name).backward === true && !tf.getKernel("Conv2DBackpropFilter", tf.getBackend());
  for (const [name, make] of cases) {
    it.skipIf(noBackward(name))(
      `"${name}" rejects ${make({ frameSize: 16, seed: 1 }).constructor.name}`,
      async () => {
        // An assertion error, not some other failure (like a missing kernel).
        await expect(check(name).run(make({ frameSize: 16, seed: 1 }), {})).rejects.toThrow(/expected/);
      },
    );
  }

  it("passes the valid encoder on the same checks", async () => {
    for (const [name] of cases) {
      if (!noBackward(name)) await check(name).run(new TinyEncoder({ frameSize: 16, seed: 1 }), {});
    }
  });
});
