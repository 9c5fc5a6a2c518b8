import { checkInteger, GqnError } from "@gqn/core";
import { type LayerArgs, ScopedLayer } from "@gqn/core/layers";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { attentionRead } from "./attention-read.js";
import type { ContextReader, ContextReads, ContextViews } from "./context-reader.js";
import {
  checkEpipolarGeometry,
  disposeEpipolarSamples,
  type EpipolarSamples,
  epipolarSamples,
  sampleViews,
} from "./epipolar-samples.js";
import { plainMatMul } from "./plain-matmul.js";

/** Construction-time configuration of an {@link EpipolarReader} (JSON; stored in checkpoints). */
export interface EpipolarReaderConfig {
  type: "epipolar";
  /** The cameras' field of view, degrees: the dataset's (`@gqn/data`'s `datasetFovDegrees`). */
  fovDegrees: number;
  /** Nearest and farthest point sampled along a query ray, world units (`datasetDepthRange`). */
  near: number;
  far: number;
  /** Points per ray. */
  depths: number;
  /**
   * Channels of the plane-sweep summary that joins DRAW's condition (fixed over its steps): per
   * cell, the colour mean and spread of the views at each depth, through two dense layers. 0: none.
   */
  summaryChannels: number;
  /** Width of each sample's embedding, from which its key and value are made. */
  hiddenChannels: number;
  /** Channels of the queries and keys. */
  keyChannels: number;
  /**
   * Channels of the values: each per-step read's channels (DRAW's `readChannels`). 0 (default):
   * no attention, and DRAW trains on its fused pass; 32 is what the study ran.
   */
  valueChannels: number;
}

/** The defaults of {@link EpipolarReaderConfig} (the optics have none: they are the dataset's). */
const EPIPOLAR_READER_DEFAULTS = Object.freeze({
  depths: 16,
  summaryChannels: 32,
  hiddenChannels: 32,
  keyChannels: 32,
  // Off by default: at CPU compute the per-step attention's cost (3.5x a tiny step) outweighs
  // its gain at equal wall clock (examples/train-synthetic/README.md, "Epipolar study").
  valueChannels: 0,
});

const KNOWN_KEYS = ["type", "fovDegrees", "near", "far", ...Object.keys(EPIPOLAR_READER_DEFAULTS)];

/** The fields that may be 0 (a part switched off). */
const MAY_BE_ZERO = new Set(["summaryChannels", "valueChannels"]);

/**
 * Fills the defaults of an epipolar reader config and checks every field.
 *
 * @throws GqnError `INVALID_CONFIG` naming the field at fault.
 */
export function resolveEpipolarReaderConfig(config: Partial<EpipolarReaderConfig>): EpipolarReaderConfig {
  const where = "resolveEpipolarReaderConfig";
  for (const key of ["fovDegrees", "near", "far"] as const) {
    if (config[key] === undefined) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: ${key} is required: the dataset's ${key === "fovDegrees" ? "field of view" : "depth range"} (@gqn/data's ${key === "fovDegrees" ? "datasetFovDegrees" : "datasetDepthRange"}; gqn-train fills it from the dataset).`,
      );
    }
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new GqnError(
        "INVALID_CONFIG",
        `${where}: unknown key "${key}"; known keys: ${KNOWN_KEYS.join(", ")}.`,
      );
    }
  }
  if (config.type !== undefined && config.type !== "epipolar") {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: type must be "epipolar", but got ${JSON.stringify(config.type)}.`,
    );
  }
  const resolved = { ...EPIPOLAR_READER_DEFAULTS, ...config, type: "epipolar" } as EpipolarReaderConfig;
  for (const key of Object.keys(EPIPOLAR_READER_DEFAULTS) as (keyof typeof EPIPOLAR_READER_DEFAULTS)[]) {
    checkInteger(resolved[key], where, key, { code: "INVALID_CONFIG", min: MAY_BE_ZERO.has(key) ? 0 : 1 });
  }
  if (resolved.summaryChannels === 0 && resolved.valueChannels === 0) {
    throw new GqnError(
      "INVALID_CONFIG",
      `${where}: summaryChannels and valueChannels are both 0: the reader would give DRAW nothing.`,
    );
  }
  checkEpipolarGeometry({ ...resolved, frameSize: 1, grid: 1 }, where);
  return resolved;
}

/** Construction arguments of {@link EpipolarReader}. */
export interface EpipolarReaderArgs extends LayerArgs {
  config: EpipolarReaderConfig;
  /** Seed of the weight initialisers; default unseeded. */
  seed?: number;
}

/** A sample's own channels besides the features: RGB 3 and its deviation from the depth's mean 3. */
const SAMPLE_EXTRA_CHANNELS = 6;
/** A depth's channels, shared by its K samples: the colour variance 3, views seeing it 1, depth code 5. */
const DEPTH_CHANNELS = 9;
/** A depth's channels in the summary: the colour mean 3 and standard deviation 3, views seeing it 1. */
const SUMMARY_DEPTH_CHANNELS = 7;

interface Dense {
  kernel: tfl.LayerVariable;
  bias?: tfl.LayerVariable;
}

/** The attention's weights (absent with `valueChannels` 0). */
interface AttentionWeights {
  embed: Dense;
  /** The embedding's share of each depth's channels (added to its K samples'). */
  embedDepth: Dense;
  /** Keys and values from the embedding in one product (their columns side by side). */
  memory: Dense;
  queries: Record<"generator" | "inference", Dense>;
}

/** What the attention reads from, made once per batch. */
interface AttentionMemory extends tf.TensorContainerObject {
  /** `[B*G, d, K*n]`. */
  keys: tf.Tensor3D;
  /** `[B*G, K*n, dv]`. */
  values: tf.Tensor3D;
  /** `[B*G, K*n]`: -1e9 where a sample does not count. */
  maskBias: tf.Tensor2D;
  /** `[B, g, g, 1]`: 0 for a cell no view sees (its read is 0). */
  anySeen: tf.Tensor;
}

/** `x W (+ b)`, its gradient in untransposed products ({@link plainMatMul}). */
function dense(x: tf.Tensor, layer: Dense): tf.Tensor {
  const y = plainMatMul(x, layer.kernel.read());
  return layer.bias ? tf.add(y, layer.bias.read()) : y;
}

/**
 * The GQN's reader of its context views along each query pixel's ray (after Tobin et al. 2019's
 * E-GQN): the pixel sees along one ray, which projects to a line in each context view, and
 * whatever it shows lies on those lines if any context view saw it. For each cell of DRAW's core
 * grid:
 *
 * ```
 * points:   n depths along the ray through the cell's centre, projected into the K views
 *           (bilinear samples; a point behind a camera or outside its image is masked out)
 * stats:    per depth j, over the views that see it: colour mean_j, var_j, seen_j (where the
 *           views agree, a surface is likely)
 * summary:  W_2 relu(W_1 [mean_j, std_j, seen_j]_{j<n} + b_1) + b_2          [S]   joins DRAW's condition
 * samples:  e_kj = [feature_k(p_kj), rgb_k(p_kj), rgb - mean_j] and, shared by depth j,
 *           [var_j, seen_j, code(j)]                                        [K*n, c+6], [n, 9]
 * memory:   [k_kj, v_kj] = W_m relu(W_e e_kj + W_d depth_j + b_e) + b_m    [K*n, d + d_v]
 * read:     q = W_q h + b_q (one W_q per core);  softmax(q.k / sqrt(d), masked) . v   [d_v] at each step
 * ```
 *
 * The summary is a plane sweep that learns what to make of the agreement (a reference experiment
 * with such features, no attention, gained 2.5 dB in 10 CPU minutes); the attention lets each DRAW
 * step look up the samples, encoder features included, that its state asks for. The points
 * depend on the cameras alone and the memory on the context: both are made once per batch
 * ({@link EpipolarReader.prepare}); each step pays only for its queries.
 */
export class EpipolarReader extends ScopedLayer implements ContextReader {
  static className = "GqnEpipolarReader";
  readonly config: EpipolarReaderConfig;
  readonly seed: number | undefined;
  private summary: [Dense, Dense] | undefined;
  private attention: AttentionWeights | undefined;
  private featureChannels = 0;

  constructor(args: EpipolarReaderArgs) {
    const { config, seed, ...layerArgs } = args;
    super({ ...layerArgs, name: layerArgs.name ?? "reader" });
    this.config = resolveEpipolarReaderConfig(config);
    this.seed = seed ?? undefined;
  }

  /** {@inheritDoc ContextReader.readChannels} */
  get readChannels(): number {
    return this.config.valueChannels;
  }

  /** {@inheritDoc ContextReader.conditionChannels} */
  get conditionChannels(): number {
    return this.config.summaryChannels;
  }

  /** Makes the weights for views with `featureChannels` channels read by cores with `coreChannels`. */
  buildFor(featureChannels: number, coreChannels: number): void {
    const {
      hiddenChannels: e,
      keyChannels: d,
      valueChannels: v,
      summaryChannels: sc,
      depths: n,
    } = this.config;
    const dense = (name: string, rows: number, cols: number, bias: boolean): Dense => ({
      kernel: this.weight(`${name}/kernel`, [rows, cols], "glorot"),
      ...(bias && { bias: this.weight(`${name}/bias`, [cols], "zeros") }),
    });
    this.featureChannels = featureChannels;
    if (sc > 0) {
      this.summary = [
        dense("summary_1", n * SUMMARY_DEPTH_CHANNELS, 2 * sc, true),
        dense("summary_2", 2 * sc, sc, true),
      ];
    }
    if (v > 0) {
      this.attention = {
        embed: dense("embed", featureChannels + SAMPLE_EXTRA_CHANNELS, e, true),
        embedDepth: dense("embed_depth", DEPTH_CHANNELS, e, false),
        memory: dense("memory", e, d + v, true),
        queries: {
          generator: dense("generator_query", coreChannels, d, true),
          inference: dense("inference_query", coreChannels, d, true),
        },
      };
    }
    this.built = true;
  }

  private weight(name: string, shape: number[], init: "glorot" | "zeros"): tfl.LayerVariable {
    return this.seededWeight(name, shape, init, this.seed);
  }

  /** {@inheritDoc ContextReader.prepare} */
  prepare(views: ContextViews, queryPose: tf.Tensor2D, grid: number): ContextReads {
    if (!this.built) {
      throw new GqnError(
        "INVALID_ARGUMENT",
        "EpipolarReader.prepare: the reader is not built (call buildFor first).",
      );
    }
    const [b, k, s] = views.frames.shape;
    if (views.features.shape[4] !== this.featureChannels) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `EpipolarReader.prepare: features must have ${this.featureChannels} channels (as built), but got [${views.features.shape.join(", ")}].`,
      );
    }
    const n = this.config.depths;
    const cells = grid * grid;
    const samples = epipolarSamples(views.poses, queryPose, { ...this.config, frameSize: s, grid });
    try {
      const made = tf.tidy(() => {
        const seen = tf.expandDims(samples.valid, 4); // [B, G, K, n, 1]
        const rgb = sampleViews(views.frames, samples); // [B, G, K, n, 3]
        const count = tf.sum(seen, 2, true); // [B, G, 1, n, 1]
        const denominator = tf.maximum(count, 1);
        const mean = tf.div(tf.sum(tf.mul(rgb, seen), 2, true), denominator); // [B, G, 1, n, 3]
        const deviation = tf.mul(tf.sub(rgb, mean), seen); // [B, G, K, n, 3]
        const variance = tf.div(tf.sum(tf.square(deviation), 2, true), denominator); // [B, G, 1, n, 3]
        const seenFraction = tf.div(count, k); // [B, G, 1, n, 1]
        let condition: tf.Tensor4D | undefined;
        if (this.summary) {
          const [first, second] = this.summary;
          const perDepth = tf.concat([mean, tf.sqrt(tf.add(variance, 1e-4)), seenFraction], 4); // [B, G, 1, n, 7]
          const hidden = tf.relu(dense(tf.reshape(perDepth, [b * cells, n * SUMMARY_DEPTH_CHANNELS]), first));
          condition = tf.reshape(dense(hidden, second), [
            b,
            grid,
            grid,
            this.config.summaryChannels,
          ]) as tf.Tensor4D;
        }
        const memory = this.attention
          ? this.memoryOf(this.attention, { views, samples, rgb, deviation, variance, seenFraction, grid })
          : undefined;
        return { ...(condition && { condition }), ...(memory && { memory }) };
      });
      const { condition, memory } = made as { condition?: tf.Tensor4D; memory?: AttentionMemory };
      return {
        ...(condition && { condition }),
        ...(memory && this.attention && { read: this.readFrom(this.attention, memory, b, grid) }),
      };
    } finally {
      disposeEpipolarSamples(samples);
    }
  }

  /** The attention's memory of one batch (the caller's tensors). */
  private memoryOf(
    weights: AttentionWeights,
    at: {
      views: ContextViews;
      samples: EpipolarSamples;
      rgb: tf.Tensor;
      deviation: tf.Tensor;
      variance: tf.Tensor;
      seenFraction: tf.Tensor;
      grid: number;
    },
  ): AttentionMemory {
    const { views, samples, grid } = at;
    const [b, k] = views.frames.shape;
    const { depths: n, keyChannels: d, valueChannels: v, hiddenChannels: e } = this.config;
    const cells = grid * grid;
    const features = sampleViews(views.features, samples); // [B, G, K, n, c]
    const angle = tf.mul(samples.depthCode, Math.PI);
    const code = tf.reshape(
      tf.stack(
        [samples.depthCode, tf.sin(angle), tf.cos(angle), tf.sin(tf.mul(angle, 2)), tf.cos(tf.mul(angle, 2))],
        1,
      ),
      [1, 1, 1, n, 5],
    );
    const sample = tf.concat([features, at.rgb, at.deviation], 4); // [B, G, K, n, c + 6]
    // Broadcast as a rank-2 tile: WebGPU tiles rank 5 on the CPU, through a synchronous read.
    const codes = tf.reshape(tf.tile(tf.reshape(code, [1, n * 5]), [b * cells, 1]), [b, cells, 1, n, 5]);
    const depth = tf.concat([at.variance, at.seenFraction, codes], 4); // [B, G, 1, n, 9]
    // The embedding of [sample, depth] as two products: the depth's share is made once for its K samples.
    const own = dense(
      tf.reshape(sample, [b * cells * k * n, this.featureChannels + SAMPLE_EXTRA_CHANNELS]),
      weights.embed,
    );
    const shared = dense(tf.reshape(depth, [b * cells * n, DEPTH_CHANNELS]), weights.embedDepth);
    const hidden = tf.reshape(
      tf.relu(tf.add(tf.reshape(own, [b, cells, k, n, e]), tf.reshape(shared, [b, cells, 1, n, e]))),
      [b * cells * k * n, e],
    ); // [B*G*K*n, E]
    const [key, value] = tf.split(dense(hidden, weights.memory), [d, v], 1);
    // Keys stored transposed, so each step's scores are an untransposed product.
    const keys = tf.transpose(tf.reshape(key as tf.Tensor, [b * cells, k * n, d]), [0, 2, 1]) as tf.Tensor3D; // [B*G, d, K*n]
    const values = tf.reshape(value as tf.Tensor, [b * cells, k * n, v]) as tf.Tensor3D; // [B*G, K*n, dv]
    const valid = tf.reshape(samples.valid, [b * cells, k * n]);
    const maskBias = tf.mul(tf.sub(valid, 1), 1e9) as tf.Tensor2D; // -1e9 where a sample does not count
    const anySeen = tf.reshape(tf.max(valid, 1), [b, grid, grid, 1]); // a cell no view sees reads 0
    return { keys, values, maskBias, anySeen };
  }

  /** A core's read at one step: its hidden state queries the memory of its cell. */
  private readFrom(
    weights: AttentionWeights,
    memory: AttentionMemory,
    b: number,
    grid: number,
  ): ContextReads["read"] {
    const { keyChannels: d, valueChannels: v } = this.config;
    const scale = 1 / Math.sqrt(d);
    return (h, core) =>
      tf.tidy(() => {
        const q = dense(tf.reshape(h, [b * grid * grid, h.shape[3]]), weights.queries[core]) as tf.Tensor2D; // [B*G, d]
        const read = attentionRead(q, memory.keys, memory.values, memory.maskBias, scale); // [B*G, dv]
        return tf.mul(tf.reshape(read, [b, grid, grid, v]), memory.anySeen) as tf.Tensor4D;
      });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      config: { ...this.config } as unknown as tf.serialization.ConfigDict,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}
tf.serialization.registerClass(EpipolarReader);
