import { describe, expect, it } from "vitest";
import {
  GQN_PRESET_NAMES,
  GQN_PRESETS,
  getPreset,
  resolveGqnConfig,
  validateGqnConfig,
} from "./gqn-config.js";

describe("presets and resolveGqnConfig", () => {
  it.each(GQN_PRESET_NAMES)("resolves preset %s to a complete JSON config", (name) => {
    const config = resolveGqnConfig(name);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    expect(config.encoder.frameSize).toBe(config.frameSize);
    expect(config.encoder.channels).toBe(GQN_PRESETS[name].model.encoder.channels);
    expect(resolveGqnConfig(config)).toEqual(config);
  });

  it("keeps the published numbers", () => {
    expect(GQN_PRESETS["tf-gqn"].model.draw).toMatchObject({
      steps: 8,
      hiddenChannels: 256,
      canvasChannels: 256,
      latentChannels: 64,
    });
    expect(GQN_PRESETS["tf-gqn"].model.encoder.type).toBe("pool");
    expect(GQN_PRESETS.paper.model.draw).toMatchObject({
      steps: 12,
      hiddenChannels: 128,
      canvasChannels: 128,
      latentChannels: 3,
    });
    expect(GQN_PRESETS.paper.model.encoder.type).toBe("tower");
  });

  it("resizes the encoder with the frame size and merges overrides", () => {
    const config = resolveGqnConfig("small", { frameSize: 16, draw: { steps: 2 } });
    expect(config.encoder.frameSize).toBe(16);
    // Another encoder type does not inherit the pool's variant.
    const tower = resolveGqnConfig("tiny", { encoder: { type: "tower", channels: 16 } });
    expect(tower.encoder).toMatchObject({ type: "tower", channels: 16, frameSize: 32 });
    expect(tower.encoder.variant).toBeUndefined();
    expect(config.draw.steps).toBe(2);
    expect(config.draw.hiddenChannels).toBe(64);
  });

  it("rejects impossible combinations with a clear error", () => {
    expect(() => getPreset("huge")).toThrow(
      'getPreset: preset must be one of tf-gqn, paper, small, tiny, but got "huge".',
    );
    expect(() => resolveGqnConfig("tiny", { frameSize: 30 })).toThrow(
      /frameSize must be a positive multiple of 4.*got 30/,
    );
    expect(() => resolveGqnConfig("tiny", { encoder: { type: "pyramid" }, frameSize: 20 })).toThrow(
      /encoder "pyramid" at 20x20 px: /,
    );
    expect(() => resolveGqnConfig("tiny", { draw: { steps: 0 } })).toThrow(
      "resolveGqnConfig: draw: resolveDrawConfig: steps must be a positive integer, but got 0.",
    );
    expect(() => resolveGqnConfig("tiny", { draw: { kernelSize: 4 } })).toThrow(/kernelSize must be odd/);
    expect(() => resolveGqnConfig("tiny", { draw: { tied: "no" as unknown as boolean } })).toThrow(
      /resolveGqnConfig: draw: resolveDrawConfig: tied must be a boolean/,
    );
    expect(() => resolveGqnConfig("tiny", { draw: { imageChannels: 1 } })).toThrow(
      "resolveGqnConfig: draw.imageChannels must be 3 (RGB frames), but got 1.",
    );
    expect(() => resolveGqnConfig("small", { draw: { scale: 8 } })).toThrow(
      "resolveGqnConfig: the encoder's output grid must be square and divide DRAW's core grid 4x4 (frameSize / 8; 1x1 is tiled, a coarser grid repeated), but tower gives 8x8 at 32 px.",
    );
    // A tower's S/4 map on a finer DRAW grid is repeated to it.
    expect(resolveGqnConfig("small", { draw: { scale: 2 } }).draw.scale).toBe(2);
    const tiny = resolveGqnConfig("tiny");
    expect(() => validateGqnConfig({ ...tiny, encoder: { ...tiny.encoder, frameSize: 64 } })).toThrow(
      "resolveGqnConfig: encoder.frameSize must equal frameSize 32, but got 64.",
    );
    expect(() => validateGqnConfig({ ...tiny, aggregation: "max" as "sum" })).toThrow(
      /aggregation must be "sum" or "mean"/,
    );
  });
});
