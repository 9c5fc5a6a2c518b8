import { Draw, type DrawArgs } from "@gqn/draw";
import * as tf from "@tensorflow/tfjs-core";

/** Options of {@link ShapeGenerator}. */
export interface ShapeGeneratorOptions {
  classes: number;
  /** Image size; DRAW's condition grid is a quarter of it. */
  size: number;
  /** Channels of the learned class embedding. */
  embedding?: number;
  /** Pixel standard deviation of the likelihood. */
  sigma?: number;
  learningRate?: number;
  draw?: DrawArgs;
  seed?: number;
}

/** Loss terms of one batch, in nats per image. */
export interface ShapeLoss {
  loss: number;
  nll: number;
  kl: number;
}

/**
 * A conditional VAE built around @gqn/draw's `Draw`: the condition is a learned class embedding
 * tiled over DRAW's grid. Everything GQN-specific (scenes, poses, encoders) is absent: this is all
 * it takes to use DRAW in another model.
 */
export class ShapeGenerator {
  readonly draw: Draw;
  readonly embedding: tf.Variable;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly grid: number;
  private readonly sigma: number;

  constructor(readonly options: ShapeGeneratorOptions) {
    const channels = options.embedding ?? 8;
    this.grid = options.size / 4;
    this.sigma = options.sigma ?? 0.2;
    this.embedding = tf.variable(
      tf.randomNormal([options.classes, channels], 0, 1, "float32", options.seed),
      true,
      "class_embedding",
    );
    this.draw = new Draw({
      steps: 4,
      hiddenChannels: 32,
      canvasChannels: 16,
      latentChannels: 4,
      kernelSize: 3,
      ...(options.seed !== undefined && { seed: options.seed }),
      ...options.draw,
    });
    this.draw.build([null, this.grid, this.grid, channels]);
    this.optimizer = tf.train.adam(options.learningRate ?? 3e-3);
  }

  /** `[B]` labels -> the embedding tiled to `[B, size/4, size/4, E]`. */
  condition(labels: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => {
      // A one-hot matmul rather than tf.gather: gather's gradient (UnsortedSegmentSum) has no wasm kernel.
      const oneHot = tf.cast(
        tf.oneHot(tf.cast(labels, "int32") as tf.Tensor1D, this.options.classes),
        "float32",
      ) as tf.Tensor2D;
      const rows = tf.matMul(oneHot, this.embedding as tf.Tensor2D); // [B, E]
      const [b, e] = rows.shape as [number, number];
      return tf.tile(tf.reshape(rows, [b, 1, 1, e]), [1, this.grid, this.grid, 1]) as tf.Tensor4D;
    });
  }

  private terms(
    images: tf.Tensor4D,
    labels: tf.Tensor1D,
    seed?: number,
  ): { loss: tf.Scalar; nll: tf.Scalar; kl: tf.Scalar } {
    const { mean, klPerStep } = this.draw.infer(
      this.condition(labels),
      images,
      seed === undefined ? {} : { seed },
    );
    const b = images.shape[0];
    const squared = tf.div(tf.sum(tf.squaredDifference(images, mean)), 2 * this.sigma * this.sigma);
    const constant = images.size * (Math.log(this.sigma) + 0.5 * Math.log(2 * Math.PI));
    const nll = tf.div(tf.add(squared, constant), b) as tf.Scalar;
    const kl = tf.div(tf.sum(klPerStep), b) as tf.Scalar;
    return { loss: tf.add(nll, kl) as tf.Scalar, nll, kl };
  }

  /** One Adam step on a batch; returns the loss terms before the update. */
  trainStep(images: tf.Tensor4D, labels: tf.Tensor1D, seed?: number): ShapeLoss {
    const parts: tf.Scalar[] = [];
    const variables = [...this.draw.trainableWeights.map((w) => w.read() as tf.Variable), this.embedding];
    const loss = this.optimizer.minimize(
      () => {
        const t = this.terms(images, labels, seed);
        parts.push(tf.keep(t.nll), tf.keep(t.kl));
        return t.loss;
      },
      true,
      variables,
    ) as tf.Scalar;
    const result = {
      loss: loss.dataSync()[0] as number,
      nll: parts[0]?.dataSync()[0] as number,
      kl: parts[1]?.dataSync()[0] as number,
    };
    tf.dispose([loss, ...parts]);
    return result;
  }

  /** Samples `[B, size, size, 3]` in [0, 1] for the given labels, from the prior. */
  sample(labels: tf.Tensor1D, seed?: number): tf.Tensor4D {
    return tf.tidy(() => {
      const { mean } = this.draw.generate(this.condition(labels), seed === undefined ? {} : { seed });
      return tf.clipByValue(mean, 0, 1) as tf.Tensor4D;
    });
  }

  dispose(): void {
    this.draw.dispose();
    this.embedding.dispose();
    this.optimizer.dispose();
  }
}
