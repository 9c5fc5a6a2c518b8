// A small model that satisfies the loop's contract (TrainableModel, LoopTrainer): one dense layer from
// the query pose to the image, trained with Adam on the Gaussian NLL at the annealed sigma plus a
// weight penalty standing in for the KL. The loop tests run on it, so they test the loop in
// seconds; the GQN itself is trained end to end by gqn-end-to-end.test.ts.
import { GqnError } from "@gqn/core";
import type { EvalMetrics, GqnBatch } from "@gqn/model";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { readAdamState, writeAdamState } from "../src/adam-state.js";
import type { LoopTrainer, ModelConfig, ModelFactory, TrainableModel } from "../src/node/gqn-factory.js";
import { annealed, PAPER_LR_SCHEDULE, PAPER_SIGMA_SCHEDULE } from "../src/schedules.js";
import type { TrainingConfig } from "../src/training-config.js";

class PoseDecoder implements TrainableModel {
  constructor(readonly net: tfl.LayersModel) {}

  toLayersModel(): tfl.LayersModel {
    return this.net;
  }

  /** `{ loss, nll, kl }` batch means (scalars, caller disposes). */
  terms(batch: GqnBatch, sigma: number): { loss: tf.Scalar; nll: tf.Scalar; kl: tf.Scalar } {
    return tf.tidy(() => {
      const mean = this.net.apply(batch.queryPose) as tf.Tensor4D;
      const d = batch.target.size / (batch.target.shape[0] ?? 1);
      const squared = tf.sum(tf.square(tf.sub(batch.target, mean)), [1, 2, 3]);
      const constant = d * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
      const nll = tf.mean(tf.add(tf.div(squared, 2 * sigma * sigma), constant)) as tf.Scalar;
      const kernel = this.net.trainableWeights[0]?.read() as tf.Tensor;
      const kl = tf.sum(tf.square(kernel)) as tf.Scalar;
      return { loss: tf.add(nll, kl) as tf.Scalar, nll, kl };
    });
  }

  /** No scene representation: a `[B, 1, 1, 1]` of zeros (the image depends on the query pose alone). */
  represent(frames: tf.Tensor5D): tf.Tensor4D {
    return tf.zeros([frames.shape[0], 1, 1, 1]);
  }

  render(_r: tf.Tensor4D, query: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => this.net.apply(query) as tf.Tensor4D);
  }

  async evaluate(batch: GqnBatch, sigma: number): Promise<EvalMetrics> {
    const { loss, nll, kl } = this.terms(batch, sigma);
    const mse = tf.tidy(() =>
      tf.mean(
        tf.square(tf.sub(tf.clipByValue(this.net.apply(batch.queryPose) as tf.Tensor, 0, 1), batch.target)),
      ),
    );
    const [e, n, k, m] = await Promise.all(
      [loss, nll, kl, mse].map(async (t) => (await t.data())[0] ?? Number.NaN),
    );
    tf.dispose([loss, nll, kl, mse]);
    const d = batch.target.size / (batch.target.shape[0] ?? 1);
    return {
      elbo: e as number,
      nll: n as number,
      kl: k as number,
      bitsPerDim: (e as number) / (d * Math.LN2),
      mse: m as number,
      psnr: -10 * Math.log10(m as number),
    };
  }

  dispose(): void {
    this.net.dispose();
  }
}

function trainer(model: PoseDecoder, training: TrainingConfig): LoopTrainer {
  const { beta1, beta2, epsilon } = training.adam;
  const optimizer = tf.train.adam(training.learningRate.start, beta1, beta2, epsilon);
  return {
    getOptimizerState: () => readAdamState(optimizer),
    setOptimizerState: (state) =>
      writeAdamState(
        optimizer,
        state,
        model.net.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape as number[] })),
        "PoseDecoder.setOptimizerState",
      ),
    async step(batch, stepIndex) {
      const t0 = Date.now();
      const sigma = annealed(training.sigma, stepIndex);
      const lr = annealed(training.learningRate, stepIndex);
      const vars = model.net.trainableWeights.map((w) => w.read() as tf.Variable);
      let kept: { nll: tf.Scalar; kl: tf.Scalar } | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const terms = model.terms(batch, sigma);
        kept = { nll: tf.keep(terms.nll), kl: tf.keep(terms.kl) };
        return terms.loss;
      }, vars);
      const [loss, nll, kl] = [value, kept?.nll, kept?.kl].map((t) => t?.dataSync()[0] ?? Number.NaN) as [
        number,
        number,
        number,
      ];
      tf.dispose([value, kept?.nll, kept?.kl]);
      if (![loss, nll, kl].every(Number.isFinite)) {
        tf.dispose(Object.values(grads));
        const term = Number.isFinite(nll) ? "KL" : "NLL";
        throw new GqnError(
          "NON_FINITE",
          `PoseDecoder.step: step ${stepIndex + 1}: the ${term} term is not finite.`,
        );
      }
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      optimizer.applyGradients(grads as never); // tfjs types it as NamedVariableMap; tensors are what it reads
      tf.dispose(Object.values(grads));
      const d = batch.target.size / (batch.target.shape[0] ?? 1);
      return {
        step: stepIndex + 1,
        elbo: loss,
        nll,
        kl,
        bitsPerDim: loss / (d * Math.LN2),
        lr,
        sigma,
        drawSteps: 0,
        stepMs: Date.now() - t0,
      };
    },
    dispose: () => optimizer.dispose(),
  };
}

function validateTraining(training: TrainingConfig, views: number): void {
  const k = typeof training.contextSize === "number" ? training.contextSize : training.contextSize.max;
  if (!(training.batchSize >= 1) || !(k >= 1) || k >= views) {
    throw new GqnError(
      "INVALID_CONFIG",
      `PoseDecoder: bad batch or context size for ${views} views: ${JSON.stringify(training)}.`,
    );
  }
}

function create(frameSize: number, seed: number): PoseDecoder {
  const input = tfl.input({ shape: [7] });
  const dense = tfl.layers
    .dense({
      units: frameSize * frameSize * 3,
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tfl.SymbolicTensor;
  const image = tfl.layers
    .reshape({ targetShape: [frameSize, frameSize, 3] })
    .apply(dense) as tfl.SymbolicTensor;
  return new PoseDecoder(tfl.model({ inputs: input, outputs: image }));
}

/**
 * The {@link ModelFactory} of the pose decoder: every preset is 32 px, batch 4, K 3, the paper's
 * schedules; it has no data-parallel replicas.
 */
export const poseDecoderFactory: ModelFactory<ModelConfig & { preset: string }, PoseDecoder> = {
  dataParallel: false,
  resolve(preset, _model, overrides) {
    const training: TrainingConfig = {
      batchSize: 4,
      contextSize: 3,
      sigma: PAPER_SIGMA_SCHEDULE,
      learningRate: PAPER_LR_SCHEDULE,
      adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
      ...overrides,
    };
    // The preset is part of the config, so a resume with another preset is seen to differ.
    return { model: { frameSize: 32, preset }, training };
  },
  async open({ config, training, datasetViews, seed, from }) {
    let model: PoseDecoder | undefined;
    let loopTrainer: LoopTrainer | undefined;
    try {
      validateTraining(training, datasetViews);
      model = from ? new PoseDecoder(from.model) : create(config.frameSize, seed);
      loopTrainer = trainer(model, training);
      if (from?.optimizerState) await loopTrainer.setOptimizerState(from.optimizerState);
      const opened = { model, trainer: loopTrainer };
      const close = async () => {
        opened.trainer.dispose();
        opened.model.dispose();
      };
      return { ...opened, close };
    } catch (error) {
      loopTrainer?.dispose();
      (model?.net ?? from?.model)?.dispose();
      throw error;
    } finally {
      tf.dispose(from?.optimizerState?.map((w) => w.tensor) ?? []);
    }
  },
  complete: (config) => config,
  fromLayersModel: (model) => new PoseDecoder(model),
};
