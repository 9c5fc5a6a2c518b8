import { checkInteger, deriveSeed, GqnError } from "@gqn/core";
import { type Kwargs, ScopedLayer } from "@gqn/core/layers";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { DEFAULT_DRAW_CONFIG, type DrawConfig, resolveDrawConfig } from "./config.js";
import { type ConditionedCore, type ConvLstmState, conditionedCore, hasFusedCell } from "./conv-lstm.js";
import { type DiagonalGaussian, gaussianFromHead } from "./diagonal-gaussian.js";
import { type DrawStepTensors, fusedInfer } from "./fused-infer.js";

/** Construction arguments of {@link Draw}: the DRAW config plus the layer's name and seed. */
export interface DrawArgs extends Partial<DrawConfig> {
  /** Layer name; its weights are named `<name>/...`. Default "draw". */
  name?: string;
  /** Seed of the weight initialisers: the same seed gives the same weights. Default: unseeded. */
  seed?: number;
  /** Whether the weights train; default true. */
  trainable?: boolean;
  /**
   * Training passes (`infer`) precompute the condition's share of a core's gates
   * ({@link conditionedCore}) for cores of up to this many kernel floats; larger cores run one
   * convolution per step, whose pass keeps no sliced kernel copies alive (a tf-gqn core's 60-105 MB
   * kernels in wasm's 4 GB heap). Renders (`generate`) always precompute. Default 8 M (32 MB).
   * A runtime choice, not part of the saved config.
   */
  precomputeConditionUpTo?: number;
  /**
   * Whether training passes may run as one op with a hand-written backward (`fused-infer.ts`), an
   * equivalent of the readable loop in {@link Draw.infer} tested against it. The choice is made
   * once, when the layer is built, and read as {@link Draw.trainingPass}: fused where the backend
   * then has `@gqn/backend`'s fused cell kernels and the cores take no read. false keeps the plain
   * ops. Default true. A runtime choice, not saved.
   */
  fusedPass?: boolean;
}

/**
 * A per-step read: what a core looks up with its hidden state before its update, e.g. an attention
 * over features of the scene that a caller prepared for this pass. Called at every step with the
 * core's `h` `[B, h, w, C]` (borrowed); returns `[B, h, w, readChannels]`, which joins that core's
 * input. Runs inside DRAW's tidy and tape: gradients flow through it into `h` and whatever it reads.
 */
export type DrawRead = (h: tf.Tensor4D, core: "generator" | "inference") => tf.Tensor4D;

/** Options of {@link Draw.infer}. */
export interface DrawInferOptions {
  /** Seeds the posterior samples (distinct per step; 0 and negative seeds work): the same seed gives the same result. */
  seed?: number;
  /**
   * Steps to run; default the configured L. Another L needs tied weights: training with L drawn
   * per batch (as tf-gqn's snapshots were) teaches one core to draw in any number of steps.
   */
  steps?: number;
  /** Also return the canvas after each step. */
  canvases?: boolean;
  /** The per-step read; required exactly when the config has `readChannels` > 0. */
  read?: DrawRead;
}

/** What {@link Draw.infer} returns (owned by the caller). */
export interface InferResult {
  /** The observation head's linear output `[B, H, W, imageChannels]` (clip when showing it). */
  mean: tf.Tensor4D;
  /** KL(posterior || prior) per step, summed over latent positions and channels: `[B, L]`. */
  klPerStep: tf.Tensor2D;
  /** The canvas `[B, H, W, Cu]` after each step, when asked for. */
  canvases?: tf.Tensor4D[];
}

/** Options of {@link Draw.generate}. */
export interface GenerateOptions {
  /** Steps to run; default the configured L. Another L needs tied weights. */
  steps?: number;
  /** Seeds the prior samples (step l draws with `deriveSeed(seed, "prior", l)`). */
  seed?: number;
  /** Also return the canvas after each step. */
  canvases?: boolean;
  /** The per-step read; required exactly when the config has `readChannels` > 0. */
  read?: DrawRead;
}

/** What {@link Draw.generate} returns (owned by the caller). */
export interface GenerateResult {
  /** `[B, H, W, imageChannels]`. */
  mean: tf.Tensor4D;
  canvases?: tf.Tensor4D[];
}

interface StepWeights {
  generatorLstm: [tfl.LayerVariable, tfl.LayerVariable];
  inferenceLstm: [tfl.LayerVariable, tfl.LayerVariable];
  prior: [tfl.LayerVariable, tfl.LayerVariable];
  posterior: [tfl.LayerVariable, tfl.LayerVariable];
  canvas: [tfl.LayerVariable, tfl.LayerVariable];
}

/** The cores of one weight set in one pass (the inference core only in `infer`). */
interface PassCores {
  generator: ConditionedCore;
  inference?: ConditionedCore;
}

/** The seed of step l's latent sample: one per step and side, any integer seed (0 too) repeatable. */
function seedAt(seed: number | undefined, side: "prior" | "posterior", step: number): number | undefined {
  return seed === undefined ? undefined : deriveSeed(seed, side, step);
}

/**
 * Conditional DRAW (Gregor et al. 2016) as used by the GQN: a generator ConvLSTM that writes to a
 * canvas, an inference ConvLSTM that sees the target, Gaussian latents per step, and a 1x1
 * observation head. It knows nothing of scenes: it is conditioned on any `[B, h, w, c]` tensor and
 * produces `[B, scale*h, scale*w, imageChannels]` images.
 *
 * Step l (the paper's order, in training and generation alike):
 * 1. prior p_l from the generator's h_g;
 * 2. inference core update on concat(condition, h_g, down(concat(target, canvas)));
 * 3. posterior q_l from the new h_e;
 * 4. z_l ~ q_l (infer) or p_l (generate), reparameterised;
 * 5. generator core update on concat(condition, z_l); canvas += convT_{k=s=scale}(h_g);
 * 6. KL(q_l || p_l) added (infer).
 * With `readChannels` > 0, each core also reads with its hidden state before its update
 * ({@link DrawRead}, as DRAW's read attention does) and the read joins its input: the inference
 * core's after `down(...)`, the generator's after z_l.
 * The target and canvas reach the inference core through a k = s = scale convolution without bias,
 * concatenated to its input (the torch ports' choice; tf-gqn adds it to h_e instead).
 *
 * A tfjs-layers layer: usable eagerly through {@link Draw.infer} and {@link Draw.generate}, and
 * inside a functional model through `apply([condition, target])`, which returns the generated
 * image (prior samples), so `model.save` -> `tf.loadLayersModel` restores it.
 */
export class Draw extends ScopedLayer {
  static className = "GqnDraw";
  /** The resolved configuration. */
  readonly drawConfig: DrawConfig;
  /** The initialiser seed, if any. */
  readonly seed: number | undefined;
  private readonly precomputeConditionUpTo: number;
  private readonly fusedPass: boolean;
  private pass: { kind: "fused"; backend: string } | { kind: "plain" } | undefined;
  private conditionChannels = 0;
  private steps: StepWeights[] = [];
  private down: tfl.LayerVariable | undefined;
  private observation: [tfl.LayerVariable, tfl.LayerVariable] | undefined;

  constructor(args: DrawArgs = {}) {
    // tfjs passes the saved layer config back (with its own keys: dtype, customObjects...): the
    // DRAW keys go to the config, the rest to the Layer.
    const { seed, precomputeConditionUpTo, fusedPass, ...rest } = args as DrawArgs & Record<string, unknown>;
    const config: Partial<DrawConfig> = {};
    const layerArgs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (key in DEFAULT_DRAW_CONFIG) (config as Record<string, unknown>)[key] = value;
      else if (key !== "customObjects") layerArgs[key] = value;
    }
    super({ ...layerArgs, name: (layerArgs.name as string | undefined) ?? "draw" });
    this.drawConfig = resolveDrawConfig(config);
    if (seed !== undefined && seed !== null && !Number.isInteger(seed)) {
      throw new GqnError("INVALID_CONFIG", `Draw: seed must be an integer, but got ${JSON.stringify(seed)}.`);
    }
    this.seed = seed ?? undefined;
    this.precomputeConditionUpTo = (precomputeConditionUpTo as number | undefined) ?? 8 * 2 ** 20;
    this.fusedPass = (fusedPass as boolean | undefined) ?? true;
  }

  /**
   * The training pass: posterior latents from the target, the image mean and the KL per step.
   *
   * @param condition - `[B, h, w, c]`, borrowed.
   * @param target - `[B, scale*h, scale*w, imageChannels]`, borrowed.
   */
  infer(condition: tf.Tensor4D, target: tf.Tensor4D, options: DrawInferOptions = {}): InferResult {
    this.ensureBuilt(condition, "infer");
    const steps = this.checkSteps(options.steps, "infer");
    this.checkTarget(condition, target);
    const read = this.checkRead(options.read, "infer");
    // The fused pass returns no canvases: a pass that asks for them runs the loop below.
    if (this.pass?.kind === "fused" && !options.canvases) {
      this.checkFusedBackend();
      return this.inferFused(condition, target, steps, options.seed);
    }
    const canvases: tf.Tensor4D[] = [];
    const result = tf.tidy(() => {
      const coresAt = this.passCores(condition, true);
      let { generator, inference, canvas } = this.initialState(condition); // h, c [B, h, w, C]; canvas [B, H, W, Cu]
      const kls: tf.Tensor1D[] = [];
      for (let l = 0; l < steps; l++) {
        const w = this.stepWeights(l);
        const cores = coresAt(l);
        const prior = this.head(generator.h, w.prior); // p_l: mean, sigma [B, h, w, Z]
        const seen = this.downsample(target, canvas); // [B, h, w, C]
        const inferenceInputs = [generator.h, seen];
        if (read) inferenceInputs.push(read(inference.h, "inference")); // [B, h, w, R]
        const readG = read?.(generator.h, "generator"); // [B, h, w, R], with h_g before its update
        inference = (cores.inference as ConditionedCore).step(inferenceInputs, inference); // [B, h, w, C]
        const posterior = this.head(inference.h, w.posterior); // q_l [B, h, w, Z]
        const z = posterior.sample(seedAt(options.seed, "posterior", l)) as tf.Tensor4D; // [B, h, w, Z]
        generator = cores.generator.step(readG ? [z, readG] : [z], generator); // [B, h, w, C]
        canvas = this.writeCanvas(canvas, generator.h, w.canvas); // [B, H, W, Cu]
        if (options.canvases) canvases.push(tf.keep(canvas));
        kls.push(tf.sum(posterior.kl(prior), [1, 2, 3]) as tf.Tensor1D); // [B]
      }
      return { mean: this.observe(canvas), klPerStep: tf.stack(kls, 1) as tf.Tensor2D }; // [B, H, W, 3], [B, L]
    });
    return options.canvases ? { ...result, canvases } : result;
  }

  /**
   * How training passes run, chosen once when the layer was built: "fused", one op with a
   * hand-written backward, or "plain", the loop of tfjs ops in {@link Draw.infer} (with
   * `fusedPass: false`, a read, or a backend without the fused cell kernels). Undefined before
   * the layer is built.
   */
  get trainingPass(): "fused" | "plain" | undefined {
    return this.pass?.kind;
  }

  /** The fused pass's kernels are the backend's it was chosen on: another one must have them too. */
  private checkFusedBackend(): void {
    const chosenOn = (this.pass as { backend: string }).backend;
    if (tf.getBackend() !== chosenOn && !hasFusedCell()) {
      throw new GqnError(
        "BACKEND_UNAVAILABLE",
        `Draw.infer: this DRAW chose its fused training pass on the ${chosenOn} backend when it was built, but the ${tf.getBackend()} backend now in use has no fused cell kernels: build the model on this backend, or construct it with fusedPass: false.`,
      );
    }
  }

  /** {@link infer} as one op with a hand-written backward (same values, same seeds). */
  private inferFused(
    condition: tf.Tensor4D,
    target: tf.Tensor4D,
    steps: number,
    seed: number | undefined,
  ): InferResult {
    return tf.tidy(() => {
      const sets = this.steps.slice(0, this.drawConfig.tied ? 1 : steps).map(
        (w): DrawStepTensors => ({
          generatorKernel: w.generatorLstm[0].read() as tf.Tensor4D,
          generatorBias: w.generatorLstm[1].read() as tf.Tensor1D,
          inferenceKernel: w.inferenceLstm[0].read() as tf.Tensor4D,
          inferenceBias: w.inferenceLstm[1].read() as tf.Tensor1D,
          priorKernel: w.prior[0].read() as tf.Tensor4D,
          priorBias: w.prior[1].read() as tf.Tensor1D,
          posteriorKernel: w.posterior[0].read() as tf.Tensor4D,
          posteriorBias: w.posterior[1].read() as tf.Tensor1D,
          canvasKernel: w.canvas[0].read() as tf.Tensor4D,
          canvasBias: w.canvas[1].read() as tf.Tensor1D,
        }),
      );
      const first = sets[0] as DrawStepTensors;
      const { canvas, klPerStep } = fusedInfer(
        condition,
        target,
        (this.down as tfl.LayerVariable).read() as tf.Tensor4D,
        sets,
        {
          steps,
          latentChannels: this.drawConfig.latentChannels,
          scale: this.drawConfig.scale,
          precompute: {
            generator: first.generatorKernel.size <= this.precomputeConditionUpTo,
            inference: first.inferenceKernel.size <= this.precomputeConditionUpTo,
          },
          seedAt: (l) => seedAt(seed, "posterior", l),
        },
      );
      return { mean: this.observe(canvas), klPerStep };
    });
  }

  /**
   * Samples from the prior: the image mean given only the condition.
   *
   * @param condition - `[B, h, w, c]`, borrowed.
   */
  generate(condition: tf.Tensor4D, options: GenerateOptions = {}): GenerateResult {
    this.ensureBuilt(condition, "generate");
    const steps = this.checkSteps(options.steps, "generate");
    const read = this.checkRead(options.read, "generate");
    const canvases: tf.Tensor4D[] = [];
    const mean = tf.tidy(() => {
      const coresAt = this.passCores(condition, false);
      let { generator, canvas } = this.initialState(condition); // h, c [B, h, w, C]; canvas [B, H, W, Cu]
      for (let l = 0; l < steps; l++) {
        const w = this.stepWeights(l);
        const prior = this.head(generator.h, w.prior); // p_l [B, h, w, Z]
        const z = prior.sample(seedAt(options.seed, "prior", l)) as tf.Tensor4D; // [B, h, w, Z]
        const rest = read ? [z, read(generator.h, "generator")] : [z]; // + [B, h, w, R]
        generator = coresAt(l).generator.step(rest, generator); // [B, h, w, C]
        canvas = this.writeCanvas(canvas, generator.h, w.canvas); // [B, H, W, Cu]
        if (options.canvases) canvases.push(tf.keep(canvas));
      }
      return this.observe(canvas); // [B, H, W, 3]
    });
    return options.canvases ? { mean, canvases } : { mean };
  }

  private weight(name: string, shape: number[], init: "glorot" | "zeros"): tfl.LayerVariable {
    return this.seededWeight(name, shape, init, this.seed);
  }

  /**
   * Creates the weights. `inputShape` is the condition's `[B, h, w, c]`, or `[condition, target]`
   * shapes; only the condition's channel count matters.
   */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = first[3];
    if (first.length !== 4 || typeof c !== "number") {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `Draw.build: the condition must have shape [B, h, w, c] with a known c, but got [${first.map((d) => d ?? "?").join(", ")}].`,
      );
    }
    this.conditionChannels = c;
    const {
      hiddenChannels: h,
      canvasChannels: u,
      latentChannels: z,
      kernelSize: k,
      imageChannels: x,
      scale,
      readChannels: r,
    } = this.drawConfig;
    const count = this.drawConfig.tied ? 1 : this.drawConfig.steps;
    this.steps = [];
    for (let l = 0; l < count; l++) {
      const s = this.drawConfig.tied ? "" : `_${l}`;
      this.steps.push({
        generatorLstm: [
          this.weight(`generator${s}/lstm/kernel`, [k, k, c + z + r + h, 4 * h], "glorot"),
          this.weight(`generator${s}/lstm/bias`, [4 * h], "zeros"),
        ],
        inferenceLstm: [
          this.weight(`inference${s}/lstm/kernel`, [k, k, c + 2 * h + r + h, 4 * h], "glorot"),
          this.weight(`inference${s}/lstm/bias`, [4 * h], "zeros"),
        ],
        prior: [
          this.weight(`prior${s}/kernel`, [k, k, h, 2 * z], "glorot"),
          this.weight(`prior${s}/bias`, [2 * z], "zeros"),
        ],
        posterior: [
          this.weight(`posterior${s}/kernel`, [k, k, h, 2 * z], "glorot"),
          this.weight(`posterior${s}/bias`, [2 * z], "zeros"),
        ],
        canvas: [
          // tfjs stores transposed-conv kernels [k, k, out, in].
          this.weight(`canvas${s}/kernel`, [scale, scale, u, h], "glorot"),
          this.weight(`canvas${s}/bias`, [u], "zeros"),
        ],
      });
    }
    this.down = this.weight("inference/down/kernel", [scale, scale, x + u, h], "glorot");
    // The fused pass's hand-written backward has no read: a DRAW with one trains on the plain ops.
    this.pass =
      this.fusedPass && r === 0 && hasFusedCell()
        ? { kind: "fused", backend: tf.getBackend() }
        : { kind: "plain" };
    this.observation = [
      this.weight("observation/kernel", [1, 1, u, x], "glorot"),
      this.weight("observation/bias", [x], "zeros"),
    ];
    this.built = true;
  }

  /** The steps a pass runs: the configured L unless asked otherwise (any L with tied weights). */
  private checkSteps(steps: number | undefined, where: string): number {
    if (steps === undefined) return this.drawConfig.steps;
    checkInteger(steps, `Draw.${where}`, "steps");
    if (!this.drawConfig.tied && steps !== this.drawConfig.steps) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        `Draw.${where}: steps must be ${this.drawConfig.steps} with untied weights (one set per step), but got ${steps}; tied weights allow any L.`,
      );
    }
    return steps;
  }

  /** The read of a pass, checked against the config, its shape checked at each call. */
  private checkRead(read: DrawRead | undefined, where: string): DrawRead | undefined {
    const channels = this.drawConfig.readChannels;
    if ((read === undefined) !== (channels === 0)) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        channels === 0
          ? `Draw.${where}: options.read was given, but this DRAW has readChannels 0 (no input for it).`
          : `Draw.${where}: options.read is required: this DRAW's cores take a ${channels}-channel read at every step (readChannels).`,
      );
    }
    if (read === undefined) return undefined;
    return (h, core) => {
      const out = read(h, core);
      const [b, gh, gw] = h.shape;
      if (out.shape.join() !== [b, gh, gw, channels].join()) {
        throw new GqnError(
          "SHAPE_MISMATCH",
          `Draw.${where}: the ${core} core's read must have shape [${b}, ${gh}, ${gw}, ${channels}] (readChannels), but got [${out.shape.join(", ")}].`,
        );
      }
      return out;
    };
  }

  private ensureBuilt(condition: tf.Tensor4D, where: string): void {
    if (!this.built) this.build([...condition.shape]);
    if (condition.shape[3] !== this.conditionChannels) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `Draw.${where}: condition must have ${this.conditionChannels} channels, but got [${condition.shape.join(", ")}].`,
      );
    }
  }

  private stepWeights(l: number): StepWeights {
    return this.steps[this.drawConfig.tied ? 0 : l] as StepWeights;
  }

  private head(h: tf.Tensor4D, weights: [tfl.LayerVariable, tfl.LayerVariable]): DiagonalGaussian {
    return gaussianFromHead(
      tf.fused.conv2d({
        x: h,
        filter: weights[0].read() as tf.Tensor4D,
        strides: 1,
        pad: "same",
        bias: weights[1].read(),
      }),
    );
  }

  private writeCanvas(
    canvas: tf.Tensor4D,
    h: tf.Tensor4D,
    weights: [tfl.LayerVariable, tfl.LayerVariable],
  ): tf.Tensor4D {
    const [b, gh, gw] = h.shape;
    const { scale, canvasChannels } = this.drawConfig;
    const delta = tf.conv2dTranspose(
      h,
      weights[0].read() as tf.Tensor4D,
      [b, gh * scale, gw * scale, canvasChannels],
      scale,
      "valid",
    );
    return tf.add(canvas, tf.add(delta, weights[1].read())) as tf.Tensor4D;
  }

  /** The conditioned cores of step l's weights, made once per pass per weight set (once when tied). */
  private passCores(condition: tf.Tensor4D, inference: boolean): (l: number) => PassCores {
    const made = new Map<StepWeights, PassCores>();
    const core = ([kernel, bias]: [tfl.LayerVariable, tfl.LayerVariable], training: boolean) => {
      const k = kernel.read() as tf.Tensor4D;
      const precompute = !training || k.size <= this.precomputeConditionUpTo;
      return conditionedCore(condition, k, bias.read() as tf.Tensor1D, { precompute });
    };
    return (l) => {
      const w = this.stepWeights(l);
      let cores = made.get(w);
      if (!cores) {
        cores = {
          generator: core(w.generatorLstm, inference),
          ...(inference && { inference: core(w.inferenceLstm, true) }),
        };
        made.set(w, cores);
      }
      return cores;
    };
  }

  private observe(canvas: tf.Tensor4D): tf.Tensor4D {
    const [kernel, bias] = this.observation as [tfl.LayerVariable, tfl.LayerVariable];
    return tf.fused.conv2d({
      x: canvas,
      filter: kernel.read() as tf.Tensor4D,
      strides: 1,
      pad: "valid",
      bias: bias.read(),
    });
  }

  /** Zero states of both cores and a zero canvas. */
  private initialState(condition: tf.Tensor4D): {
    generator: ConvLstmState;
    inference: ConvLstmState;
    canvas: tf.Tensor4D;
  } {
    const [b, gh, gw] = condition.shape;
    const { hiddenChannels, canvasChannels, scale } = this.drawConfig;
    const h = tf.zeros([b, gh, gw, hiddenChannels]) as tf.Tensor4D;
    const core = { h, c: h };
    return {
      generator: core,
      inference: core,
      canvas: tf.zeros([b, gh * scale, gw * scale, canvasChannels]) as tf.Tensor4D,
    };
  }

  /** What the inference core sees of the target and the canvas: a k = s = scale convolution, no bias. */
  private downsample(target: tf.Tensor4D, canvas: tf.Tensor4D): tf.Tensor4D {
    const down = this.down as tfl.LayerVariable;
    return tf.conv2d(
      tf.concat([target, canvas], 3) as tf.Tensor4D,
      down.read() as tf.Tensor4D,
      this.drawConfig.scale,
      "valid",
    );
  }

  private checkTarget(condition: tf.Tensor4D, target: tf.Tensor4D): void {
    const [b, gh, gw] = condition.shape;
    const { scale, imageChannels } = this.drawConfig;
    const expected = [b, gh * scale, gw * scale, imageChannels];
    if (target.shape.join() !== expected.join()) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `Draw.infer: target must have shape [${expected.join(", ")}], but got [${target.shape.join(", ")}].`,
      );
    }
  }

  /** Inside a model: `[condition, target?]` -> the generated image (prior samples; the target is ignored). */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const condition = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return this.generate(condition).mean;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const { scale, imageChannels } = this.drawConfig;
    const h = first[1];
    const w = first[2];
    return [
      first[0] ?? null,
      typeof h === "number" ? h * scale : null,
      typeof w === "number" ? w * scale : null,
      imageChannels,
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), ...this.drawConfig };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}
tf.serialization.registerClass(Draw);
