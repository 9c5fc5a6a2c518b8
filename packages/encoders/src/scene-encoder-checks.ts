// The clauses of the SceneEncoder contract, one object each, that `describeSceneEncoder`
// (testing.ts) runs as vitest tests. Kept out of the entry: the contract's own tests run each
// clause alone against an encoder that breaks it.
import { deriveSeed } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { expect } from "vitest";
import { aggregateViews } from "./aggregate.js";
import { encodeScene } from "./encode-scene.js";
import type { SceneEncoder } from "./scene-encoder.js";

/** Options of `describeSceneEncoder` (`@gqn/encoders/testing`). */
export interface SceneEncoderSuiteOptions {
  /** Views per test batch; default 3. Keep the encoder and this small: tests run on CPU. */
  batch?: number;
  /**
   * Check that a gradient reaches every trainable weight. Default: true when the encoder is a
   * tfjs-layers `Layer` (it must be, to train inside the model).
   */
  gradients?: boolean;
  /**
   * Check that `model.save` -> `tf.loadLayersModel` restores the encoder with identical outputs.
   * Default: true when the encoder is a tfjs-layers `Layer` (its class must be registered with
   * `tf.serialization.registerClass`).
   */
  serialization?: boolean;
  /**
   * Check that the output grid is one @gqn/model conditions DRAW on: the core grid
   * `[frameSize/4, frameSize/4, c]` or `[1, 1, c]`; default true. Turn off for encoders meant for
   * other models.
   */
  coreGrid?: boolean;
  /** Check that changing only the pose changes the output; default true. */
  poseSensitive?: boolean;
  /** Largest absolute difference accepted where results must agree; default 1e-4. */
  tolerance?: number;
  /** Seed of the random test inputs; default 1. */
  seed?: number;
}

/** One clause of the contract: a name and an async check that throws when the encoder breaks it. */
export interface SceneEncoderCheck {
  /** What the check asserts, used as the test name. */
  readonly name: string;
  /**
   * True when the check runs a backward pass. Where the backend lacks a gradient kernel (tfjs-wasm
   * has no Conv2DBackpropFilter of its own), `describeSceneEncoder` reports it as skipped,
   * naming the kernel, instead of failing.
   */
  readonly backward?: boolean;
  /** True when the check does not apply to this encoder under these options (the test is skipped). */
  readonly skip?: (encoder: SceneEncoder, options: SceneEncoderSuiteOptions) => boolean;
  /** Throws (a vitest assertion error) when `encoder`, fresh and unbuilt, breaks the clause. */
  readonly run: (encoder: SceneEncoder, options: SceneEncoderSuiteOptions) => Promise<void>;
}

const isLayer = (encoder: SceneEncoder): encoder is SceneEncoder & tfl.layers.Layer =>
  encoder instanceof tfl.layers.Layer;

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? 0);

function testInputs(encoder: SceneEncoder, options: SceneEncoderSuiteOptions, count = options.batch ?? 3) {
  const s = encoder.frameSize;
  const seed = options.seed ?? 1;
  return {
    frames: tf.randomUniform([count, s, s, 3], 0, 1, "float32", deriveSeed(seed, "frames")) as tf.Tensor4D,
    poses: tf.randomNormal(
      [count, encoder.poseSize],
      0,
      1,
      "float32",
      deriveSeed(seed, "poses"),
    ) as tf.Tensor2D,
  };
}

const wantsGradients = (encoder: SceneEncoder, options: SceneEncoderSuiteOptions) =>
  options.gradients ?? isLayer(encoder);

/** The clauses of the {@link SceneEncoder} contract, in the order `describeSceneEncoder` runs them. */
export const sceneEncoderChecks: readonly SceneEncoderCheck[] = [
  {
    name: "encodes [N, H, W, 3] and [N, P] to [N, ...outputShape] of finite values",
    async run(encoder, options) {
      const n = options.batch ?? 3;
      expect(encoder.outputShape).toHaveLength(3);
      for (const d of encoder.outputShape)
        expect(Number.isInteger(d) && d > 0, "outputShape entries").toBe(true);
      const { frames, poses } = testInputs(encoder, options);
      const r = encoder.encode(frames, poses);
      try {
        expect(r.shape).toEqual([n, ...encoder.outputShape]);
        expect(
          tf.tidy(() => tf.all(tf.isFinite(r)).dataSync()[0]),
          "all values finite",
        ).toBe(1);
      } finally {
        tf.dispose([frames, poses, r]);
      }
    },
  },
  {
    name: "outputs the DRAW core grid [frameSize/4, frameSize/4, c] or [1, 1, c]",
    skip: (_encoder, options) => options.coreGrid === false,
    async run(encoder) {
      const [h, w] = encoder.outputShape;
      const g = encoder.frameSize / 4;
      expect(
        (h === g && w === g) || (h === 1 && w === 1),
        `output grid ${h}x${w} is neither the core grid ${g}x${g} nor 1x1`,
      ).toBe(true);
    },
  },
  {
    name: "leaks no tensors across a forward and a backward pass",
    backward: true,
    async run(encoder, options) {
      const { frames, poses } = testInputs(encoder, options);
      try {
        tf.dispose(encoder.encode(frames, poses)); // builds the weights
        const before = tf.memory().numTensors;
        tf.dispose(encoder.encode(frames, poses));
        if (isLayer(encoder) && wantsGradients(encoder, options)) {
          const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
          const { value, grads } = tf.variableGrads(
            () => tf.sum(encoder.encode(frames, poses)) as tf.Scalar,
            variables,
          );
          tf.dispose([value, ...Object.values(grads)]);
        }
        expect(tf.memory().numTensors, "live tensors after forward and backward").toBe(before);
      } finally {
        tf.dispose([frames, poses]);
      }
    },
  },
  {
    name: "encodes each view independently of the others in its batch",
    async run(encoder, options) {
      const tolerance = options.tolerance ?? 1e-4;
      const { frames, poses } = testInputs(encoder, options);
      const kept: tf.Tensor[] = [frames, poses];
      const keep = <T extends tf.Tensor>(t: T): T => {
        kept.push(t);
        return t;
      };
      try {
        const all = keep(encoder.encode(frames, poses));
        const reversed = keep(encoder.encode(keep(tf.reverse(frames, 0)), keep(tf.reverse(poses, 0))));
        expect(
          maxAbsDiff(all, keep(tf.reverse(reversed, 0))),
          "batch order changed a view's output",
        ).toBeLessThanOrEqual(tolerance);
        const alone = keep(
          encoder.encode(
            keep(tf.slice(frames, [0, 0, 0, 0], [1, -1, -1, -1])),
            keep(tf.slice(poses, [0, 0], [1, -1])),
          ),
        );
        const firstRow = keep(tf.slice(all, [0, 0, 0, 0], [1, -1, -1, -1]));
        expect(maxAbsDiff(alone, firstRow), "a view's output depends on its batch").toBeLessThanOrEqual(
          tolerance,
        );
      } finally {
        tf.dispose(kept);
      }
    },
  },
  {
    name: "sums views into a scene representation that ignores their order",
    async run(encoder, options) {
      const k = options.batch ?? 3;
      const tolerance = (options.tolerance ?? 1e-4) * k;
      const seed = options.seed ?? 1;
      const s = encoder.frameSize;
      const p = encoder.poseSize;
      const kept: tf.Tensor[] = [];
      const keep = <T extends tf.Tensor>(t: T): T => {
        kept.push(t);
        return t;
      };
      try {
        const frames = keep(
          tf.randomUniform([2, k, s, s, 3], 0, 1, "float32", deriveSeed(seed, "scene frames")) as tf.Tensor5D,
        );
        const poses = keep(
          tf.randomNormal([2, k, p], 0, 1, "float32", deriveSeed(seed, "scene poses")) as tf.Tensor3D,
        );
        const order = Array.from({ length: k }, (_, i) => k - 1 - i);
        const r = keep(encodeScene(encoder, frames, poses));
        const rPermuted = keep(
          encodeScene(
            encoder,
            keep(tf.gather(frames, order, 1) as tf.Tensor5D),
            keep(tf.gather(poses, order, 1) as tf.Tensor3D),
          ),
        );
        expect(r.shape).toEqual([2, ...encoder.outputShape]);
        expect(maxAbsDiff(r, rPermuted), "view order changed the sum").toBeLessThanOrEqual(tolerance);
        const scene0 = keep(
          encoder.encode(
            keep(tf.reshape(tf.slice(frames, [0], [1]), [k, s, s, 3]) as tf.Tensor4D),
            keep(tf.reshape(tf.slice(poses, [0], [1]), [k, p]) as tf.Tensor2D),
          ),
        );
        const summed = keep(aggregateViews(scene0, k, "sum"));
        expect(
          maxAbsDiff(summed, keep(tf.slice(r, [0], [1]))),
          "scene 0 is the sum of its views",
        ).toBeLessThanOrEqual(tolerance);
      } finally {
        tf.dispose(kept);
      }
    },
  },
  {
    name: "depends on the pose",
    skip: (_encoder, options) => options.poseSensitive === false,
    async run(encoder, options) {
      const { frames, poses } = testInputs(encoder, options);
      const other = tf.randomNormal(
        poses.shape,
        0,
        1,
        "float32",
        deriveSeed(options.seed ?? 1, "other poses"),
      ) as tf.Tensor2D;
      const a = encoder.encode(frames, poses);
      const b = encoder.encode(frames, other);
      try {
        expect(maxAbsDiff(a, b), "output change when only the pose changes").toBeGreaterThan(
          options.tolerance ?? 1e-4,
        );
      } finally {
        tf.dispose([frames, poses, other, a, b]);
      }
    },
  },
  {
    name: "rejects frames of another size and mismatched batches without leaking",
    async run(encoder) {
      const s = encoder.frameSize;
      const wrong = tf.zeros([1, s + 4, s + 4, 3]) as tf.Tensor4D;
      const right = tf.zeros([2, s, s, 3]) as tf.Tensor4D;
      const pose = tf.zeros([1, encoder.poseSize]) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      try {
        expect(() => encoder.encode(wrong, pose), "frames of another size").toThrow();
        expect(() => encoder.encode(right, pose), "2 frames with 1 pose").toThrow();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        tf.dispose([wrong, right, pose]);
      }
    },
  },
  {
    name: "exposes trainable weights that all receive a gradient",
    backward: true,
    skip: (encoder, options) => !wantsGradients(encoder, options),
    async run(encoder, options) {
      expect(isLayer(encoder), "a trainable encoder is a tfjs-layers Layer").toBe(true);
      const layer = encoder as SceneEncoder & tfl.layers.Layer;
      const { frames, poses } = testInputs(encoder, options);
      const n = frames.shape[0];
      // A random projection of the output, so no weight's gradient cancels out by symmetry.
      const projection = tf.randomNormal(
        [n, ...encoder.outputShape],
        0,
        1,
        "float32",
        deriveSeed(options.seed ?? 1, "gradient projection"),
      );
      try {
        tf.dispose(encoder.encode(frames, poses)); // builds the weights
        expect(layer.trainableWeights.length, "trainable weights").toBeGreaterThan(0);
        const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(encoder.encode(frames, poses), projection)) as tf.Scalar,
          variables,
        );
        try {
          for (const weight of layer.trainableWeights) {
            const grad = grads[(weight.read() as tf.Variable).name];
            expect(grad, `gradient of ${weight.name}`).toBeDefined();
            const norm = tf.tidy(() => tf.sum(tf.abs(grad as tf.Tensor)).dataSync()[0] ?? 0);
            expect(norm, `gradient of ${weight.name}`).toBeGreaterThan(0);
          }
        } finally {
          tf.dispose([value, ...Object.values(grads)]);
        }
      } finally {
        tf.dispose([frames, poses, projection]);
      }
    },
  },
  {
    name: "saves and loads through tf.loadLayersModel with identical outputs",
    skip: (encoder, options) => !(options.serialization ?? isLayer(encoder)),
    async run(encoder, options) {
      expect(isLayer(encoder), "a saveable encoder is a tfjs-layers Layer").toBe(true);
      const layer = encoder as SceneEncoder & tfl.layers.Layer;
      const s = encoder.frameSize;
      const frameInput = tfl.input({ shape: [s, s, 3] });
      const poseInput = tfl.input({ shape: [encoder.poseSize] });
      const output = layer.apply([frameInput, poseInput]) as tfl.SymbolicTensor;
      expect(output.shape).toEqual([null, ...encoder.outputShape]);
      const model = tfl.model({ inputs: [frameInput, poseInput], outputs: output });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
        }),
      );
      const className = layer.getClassName();
      // An inherited className would save the layer as its parent class.
      expect(
        Object.hasOwn(layer.constructor, "className"),
        `${layer.constructor.name} declares its own static className`,
      ).toBe(true);
      expect(
        tf.serialization.SerializationMap.getMap().classNameMap[className],
        `${className} registered with tf.serialization.registerClass`,
      ).toBeDefined();
      const names = layer.trainableWeights.map((w) => w.originalName);
      expect(new Set(names).size, "unique weight names").toBe(names.length);
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      const { frames, poses } = testInputs(encoder, options);
      const expected = model.predict([frames, poses]) as tf.Tensor;
      const actual = loaded.predict([frames, poses]) as tf.Tensor;
      try {
        expect(loaded.layers.at(-1)?.getClassName()).toBe(className);
        expect(actual.shape).toEqual(expected.shape);
        expect(maxAbsDiff(actual, expected), "loaded model's output").toBe(0);
      } finally {
        tf.dispose([frames, poses, expected, actual]);
        loaded.dispose();
        model.dispose();
      }
    },
  },
];
