import { isGqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { TinyEncoder } from "../test/fixture-encoders.js";
import { createEncoder, encoderTypes, registerEncoderType, resolveEncoderConfig } from "./create-encoder.js";
import { encodeScene } from "./encode-scene.js";
import { PyramidEncoder } from "./pyramid-encoder.js";
import { PoolEncoder, TowerEncoder } from "./tower-encoder.js";

describe("createEncoder", () => {
  it("builds each built-in type from its config", () => {
    const tower = createEncoder({ type: "tower", frameSize: 64 });
    expect(tower).toBeInstanceOf(TowerEncoder);
    expect(tower.outputShape).toEqual([16, 16, 256]);
    const tfgqn = createEncoder({ type: "tower-tfgqn", frameSize: 32 }) as TowerEncoder;
    expect(tfgqn.variant).toBe("tf-gqn");
    expect(tfgqn.outputShape).toEqual([8, 8, 256]);
    const pool = createEncoder({
      type: "pool",
      frameSize: 64,
      variant: "tf-gqn",
      channels: 32,
    }) as PoolEncoder;
    expect(pool).toBeInstanceOf(PoolEncoder);
    expect(pool.variant).toBe("tf-gqn");
    expect(pool.outputShape).toEqual([1, 1, 32]);
    const pyramid = createEncoder({
      type: "pyramid",
      frameSize: 64,
      hiddenChannels: [4, 8, 16],
    }) as PyramidEncoder;
    expect(pyramid).toBeInstanceOf(PyramidEncoder);
    expect(pyramid.hiddenChannels).toEqual([4, 8, 16]);
    expect(pyramid.outputShape).toEqual([1, 1, 256]);
  });

  it("stores its settings in getConfig, so the config rebuilds an equivalent layer", () => {
    const tower = createEncoder({
      type: "tower-tfgqn",
      frameSize: 32,
      channels: 8,
      hiddenChannels: 3,
      seed: 4,
    });
    const config = tower.getConfig();
    expect(config).toMatchObject({
      frameSize: 32,
      poseSize: 7,
      channels: 8,
      hiddenChannels: 3,
      variant: "tf-gqn",
      seed: 4,
    });
    const rebuilt = TowerEncoder.fromConfig(TowerEncoder, { ...config, name: "rebuilt" }) as TowerEncoder;
    expect(rebuilt.getConfig()).toEqual({ ...config, name: "rebuilt" });
  });

  it("rejects unknown types and malformed configs with INVALID_CONFIG", () => {
    const cases: unknown[] = [
      { type: "transformer", frameSize: 64 },
      { type: "tower", frameSize: 64, channels: 0 },
      { type: "tower", frameSize: 64, hiddenChannels: [1, 2, 3] },
      { type: "pyramid", frameSize: 64, hiddenChannels: 4 },
      { type: "pool", frameSize: 64, variant: "keras" },
      { type: "tower", frameSize: 64, poseSize: -1 },
      { type: "tower", frameSize: 64, channel: 64 },
      { type: "tower", frameSize: 64, variant: "tf-gqn" },
      null,
    ];
    for (const config of cases) {
      let error: unknown;
      try {
        createEncoder(config as never);
      } catch (e) {
        error = e;
      }
      expect(isGqnError(error, "INVALID_CONFIG"), JSON.stringify(config)).toBe(true);
    }
  });

  it("resolves every default into the config, which rebuilds the same architecture", () => {
    expect(resolveEncoderConfig({ type: "tower", frameSize: 32 })).toEqual({
      type: "tower",
      frameSize: 32,
      poseSize: 7,
      channels: 256,
      hiddenChannels: 128,
    });
    expect(resolveEncoderConfig({ type: "pool", frameSize: 64, channels: 10, seed: 3, name: "enc" })).toEqual(
      {
        type: "pool",
        frameSize: 64,
        poseSize: 7,
        seed: 3,
        name: "enc",
        channels: 10,
        hiddenChannels: 5,
        variant: "paper",
      },
    );
    const pyramid = resolveEncoderConfig({ type: "pyramid", frameSize: 32, channels: 20 });
    expect(pyramid).toMatchObject({ channels: 20, hiddenChannels: [3, 5, 10] });
    const resolved = resolveEncoderConfig(pyramid);
    expect(resolved).toEqual(pyramid);
    expect(() => resolveEncoderConfig({ type: "pyramid", frameSize: 84 })).toThrow(/divisible by 8/);
  });

  it("builds registered custom types, which then plug into encodeScene", () => {
    registerEncoderType(
      "tiny",
      (config) => new TinyEncoder({ frameSize: config.frameSize, seed: config.seed ?? 0 }),
    );
    expect(encoderTypes()).toContain("tiny");
    const encoder = createEncoder({ type: "tiny", frameSize: 16, seed: 2 });
    expect(encoder).toBeInstanceOf(TinyEncoder);
    const frames = tf.randomUniform([2, 3, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor5D;
    const poses = tf.randomNormal([2, 3, 7], 0, 1, "float32", 2) as tf.Tensor3D;
    const r = encodeScene(encoder, frames, poses, { aggregation: "mean" });
    expect(r.shape).toEqual([2, 4, 4, 4]);
    tf.dispose([frames, poses, r]);
    expect(() => registerEncoderType("tower", () => encoder)).toThrow(
      /registerEncoderType: type must be a new/,
    );
  });
});
