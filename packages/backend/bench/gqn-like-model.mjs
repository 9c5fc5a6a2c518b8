// A GQN-shaped model written with plain tfjs-core ops, for the training benchmarks and the
// profile: a tower encoder (or its pooled variant), conditional DRAW with separate inference and
// generator ConvLSTM cores (one 5x5 'same' conv of the concatenated inputs and h each), the
// k4 s4 downsampling of (target, canvas), the k4 s4 conv2dTranspose canvas update, 5x5 prior
// and posterior heads with softplus scales, a 1x1 observation head and the ELBO. It follows
// docs/encoders.md and docs/draw.md, but it is not the GQN of @gqn/model (that package does not
// depend on this one): the per-preset benchmark of the real model belongs to @gqn/train.
//
// It is also a replica module for createDataParallel (`buildReplica(config)`), so the
// data-parallel benchmark trains exactly this model on worker threads.
import * as tf from "@tensorflow/tfjs-core";

/** Configurations in the spirit of @gqn/train's presets (same sizes, batch as given). */
export const MODEL_PRESETS = {
  tiny: {
    frameSize: 32,
    contextViews: 3,
    encoder: "pool",
    encoderChannels: 32,
    steps: 4,
    hidden: 32,
    canvas: 32,
    latent: 8,
  },
  small: {
    frameSize: 32,
    contextViews: 3,
    encoder: "tower",
    encoderChannels: 64,
    steps: 8,
    hidden: 64,
    canvas: 64,
    latent: 16,
  },
  "tf-gqn": {
    frameSize: 64,
    contextViews: 5,
    encoder: "pool",
    encoderChannels: 256,
    steps: 8,
    hidden: 256,
    canvas: 256,
    latent: 64,
  },
};

/** The convolutions of one forward pass: [name, x shape (per example), kernel, stride, cout, pad, transposed?, count]. */
function convList(c, batch) {
  const g = c.frameSize / 4;
  const e = c.encoderChannels;
  const half = c.frameSize / 2;
  const views = batch * c.contextViews;
  const genIn = e + 7 + c.latent + c.hidden;
  const infIn = e + 7 + c.hidden + c.hidden + c.hidden;
  return [
    // encoder, per context view
    ["enc1 k2s2", [views, c.frameSize, c.frameSize, 3], 2, 2, e, "valid", false, 1],
    ["enc2 k2s2", [views, half, half, e], 2, 2, e, "valid", false, 1],
    ["enc3 k3", [views, g, g, e + 7], 3, 1, e, "same", false, 1],
    ["enc5 k1", [views, g, g, e], 1, 1, e, "valid", false, 1],
    // DRAW, per step
    ["down k4s4", [batch, c.frameSize, c.frameSize, 3 + c.canvas], 4, 4, c.hidden, "valid", false, c.steps],
    ["inference core k5", [batch, g, g, infIn], 5, 1, 4 * c.hidden, "same", false, c.steps],
    ["generator core k5", [batch, g, g, genIn], 5, 1, 4 * c.hidden, "same", false, c.steps],
    ["prior k5", [batch, g, g, c.hidden], 5, 1, 2 * c.latent, "same", false, c.steps],
    ["posterior k5", [batch, g, g, c.hidden], 5, 1, 2 * c.latent, "same", false, c.steps],
    ["canvas k4s4 transposed", [batch, g, g, c.hidden], 4, 4, c.canvas, "valid", true, c.steps],
    ["observation k1", [batch, c.frameSize, c.frameSize, c.canvas], 1, 1, 3, "valid", false, 1],
  ];
}

/**
 * FLOPs of one training step, counted analytically: every convolution's forward multiply-adds
 * (x2), times 3 for forward + input gradient + filter gradient (the first encoder conv needs no
 * input gradient). Elementwise ops are left out: they are < 2% of the total here.
 */
export function trainingStepFlops(config, batch) {
  let total = 0;
  for (const [name, x, k, s, co, pad, transposed, count] of convList(config, batch)) {
    const [n, h, w, ci] = x;
    // A transposed conv costs what its forward conv (output -> input) costs.
    const ho = transposed ? h * s : pad === "same" ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
    const wo = transposed ? w * s : pad === "same" ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
    const forward = transposed ? 2 * n * h * w * ci * k * k * co : 2 * n * ho * wo * co * k * k * ci;
    total += forward * (name.startsWith("enc1") ? 2 : 3) * count;
  }
  return total;
}

const glorot = (shape, seed) => {
  const [kh, kw, ci, co] = shape.length === 4 ? shape : [1, 1, ...shape];
  const limit = Math.sqrt(6 / (kh * kw * (ci + co)));
  const init = tf.randomUniform(shape, -limit, limit, "float32", seed);
  const variable = tf.variable(init);
  init.dispose();
  return variable;
};

/** A random batch (seeded): context frames and poses, query pose and target. */
export function makeBatch(config, batch, seed = 1) {
  const { frameSize: s, contextViews: k } = config;
  return {
    contextFrames: tf.randomUniform([batch, k, s, s, 3], 0, 1, "float32", seed),
    contextPoses: tf.randomUniform([batch, k, 7], -1, 1, "float32", seed + 1),
    queryPose: tf.randomUniform([batch, 7], -1, 1, "float32", seed + 2),
    target: tf.randomUniform([batch, s, s, 3], 0, 1, "float32", seed + 3),
  };
}

/**
 * Builds the model's variables (seeded) and returns a data-parallel replica:
 * `{ variables, loss(inputs, context) }`, the loss being the batch-mean ELBO.
 */
export function buildReplica(config) {
  const c = { ...MODEL_PRESETS.tiny, ...config };
  const e = c.encoderChannels;
  let seed = c.seed ?? 7;
  const w = (shape) => glorot(shape, seed++);
  const b = (n) => tf.variable(tf.zeros([n]));
  const genIn = e + 7 + c.latent + c.hidden;
  const infIn = e + 7 + c.hidden + c.hidden + c.hidden;
  const v = {
    enc1: w([2, 2, 3, e]),
    enc1b: b(e),
    enc2: w([2, 2, e, e]),
    enc2b: b(e),
    enc3: w([3, 3, e + 7, e]),
    enc3b: b(e),
    enc5: w([1, 1, e, e]),
    enc5b: b(e),
    down: w([4, 4, 3 + c.canvas, c.hidden]),
    inf: w([5, 5, infIn, 4 * c.hidden]),
    infb: b(4 * c.hidden),
    gen: w([5, 5, genIn, 4 * c.hidden]),
    genb: b(4 * c.hidden),
    prior: w([5, 5, c.hidden, 2 * c.latent]),
    priorb: b(2 * c.latent),
    post: w([5, 5, c.hidden, 2 * c.latent]),
    postb: b(2 * c.latent),
    up: w([4, 4, c.canvas, c.hidden]),
    obs: w([1, 1, c.canvas, 3]),
    obsb: b(3),
  };
  const conv = (x, f, bias, stride, pad) => {
    const y = tf.conv2d(x, f, stride, pad);
    return bias ? tf.add(y, bias) : y;
  };

  const encode = (frames, poses) => {
    const [n, s] = [frames.shape[0], frames.shape[1]];
    const g = s / 4;
    let h = tf.relu(conv(frames, v.enc1, v.enc1b, 2, "valid")); // [n, s/2, s/2, e]
    h = tf.relu(conv(h, v.enc2, v.enc2b, 2, "valid")); // [n, g, g, e]
    // The tower's second block: pose tiled in, a 3x3 conv, a residual sum, a 1x1 conv.
    const withPose = tf.concat([h, tf.tile(tf.reshape(poses, [n, 1, 1, 7]), [1, g, g, 1])], 3);
    const mid = tf.relu(conv(withPose, v.enc3, v.enc3b, 1, "same")); // [n, g, g, e]
    const out = tf.relu(conv(tf.add(mid, h), v.enc5, v.enc5b, 1, "valid")); // [n, g, g, e]
    return out;
  };

  const lstm = (input, h, cell, kernel, bias) => {
    const z = conv(tf.concat([input, h], 3), kernel, bias, 1, "same"); // [B, g, g, 4C]
    const [i, j, f, o] = tf.split(z, 4, 3);
    const cNext = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), cell), tf.mul(tf.sigmoid(i), tf.tanh(j)));
    return [tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext];
  };

  const gaussian = (stats) => {
    const [mu, raw] = tf.split(stats, 2, 3);
    return [mu, tf.add(tf.softplus(tf.add(raw, 0.5)), 1e-8)];
  };

  const loss = (inputs, context = {}) => {
    const { contextFrames, contextPoses, queryPose, target } = inputs;
    const [batch, k, s] = contextFrames.shape;
    const g = s / 4;
    const sigma = context.sigma ?? 1;
    let zSeed = (context.seed ?? 11) + 1000 * (context.offset ?? 0);
    const perView = encode(
      tf.reshape(contextFrames, [batch * k, s, s, 3]),
      tf.reshape(contextPoses, [batch * k, 7]),
    ); // [B*K, g, g, e]
    let r = tf.sum(tf.reshape(perView, [batch, k, g, g, e]), 1); // [B, g, g, e]
    if (c.encoder === "pool") r = tf.tile(tf.mean(r, [1, 2], true), [1, g, g, 1]);
    const pose = tf.tile(tf.reshape(queryPose, [batch, 1, 1, 7]), [1, g, g, 1]);
    const zeros = (ch) => tf.zeros([batch, g, g, ch]);
    let [hg, cg, he, ce] = [zeros(c.hidden), zeros(c.hidden), zeros(c.hidden), zeros(c.hidden)];
    let u = tf.zeros([batch, s, s, c.canvas]);
    let kl = tf.scalar(0);
    for (let l = 0; l < c.steps; l++) {
      const [muP, sdP] = gaussian(conv(hg, v.prior, v.priorb, 1, "same"));
      const down = conv(tf.concat([target, u], 3), v.down, undefined, 4, "valid"); // [B, g, g, C]
      [he, ce] = lstm(tf.concat([r, pose, hg, down], 3), he, ce, v.inf, v.infb);
      const [muQ, sdQ] = gaussian(conv(he, v.post, v.postb, 1, "same"));
      const z = tf.add(muQ, tf.mul(sdQ, tf.randomNormal(muQ.shape, 0, 1, "float32", zSeed++)));
      [hg, cg] = lstm(tf.concat([r, pose, z], 3), hg, cg, v.gen, v.genb);
      u = tf.add(u, tf.conv2dTranspose(hg, v.up, [batch, s, s, c.canvas], 4, "valid"));
      // KL(q || p) of diagonal Gaussians, summed over latents and positions.
      const ratio = tf.square(tf.div(sdQ, sdP));
      const diff = tf.square(tf.div(tf.sub(muQ, muP), sdP));
      kl = tf.add(kl, tf.mul(tf.sum(tf.sub(tf.sub(tf.add(ratio, diff), tf.log(ratio)), 1)), 0.5));
    }
    const mean = conv(u, v.obs, v.obsb, 1, "valid"); // [B, s, s, 3]
    const nll = tf.div(tf.sum(tf.square(tf.sub(mean, target))), 2 * sigma * sigma);
    return tf.div(tf.add(nll, kl), batch);
  };

  return { variables: Object.values(v), loss };
}
