import * as tf from "@tensorflow/tfjs-core";
import { lstmCellGradKernel, lstmCellKernel } from "./conv-lstm.js";
import { klGradients, klValue } from "./diagonal-gaussian.js";

/** One DRAW weight set as tensors: the ten weights a step reads (one set when tied, one per step otherwise). */
export interface DrawStepTensors {
  generatorKernel: tf.Tensor4D;
  generatorBias: tf.Tensor1D;
  inferenceKernel: tf.Tensor4D;
  inferenceBias: tf.Tensor1D;
  priorKernel: tf.Tensor4D;
  priorBias: tf.Tensor1D;
  posteriorKernel: tf.Tensor4D;
  posteriorBias: tf.Tensor1D;
  /** The canvas write's transposed-convolution kernel `[s, s, U, C]`. */
  canvasKernel: tf.Tensor4D;
  canvasBias: tf.Tensor1D;
}

const SET_KEYS = [
  "generatorKernel",
  "generatorBias",
  "inferenceKernel",
  "inferenceBias",
  "priorKernel",
  "priorBias",
  "posteriorKernel",
  "posteriorBias",
  "canvasKernel",
  "canvasBias",
] as const satisfies readonly (keyof DrawStepTensors)[];

/** What {@link fusedInfer} needs besides tensors. */
export interface FusedInferOptions {
  steps: number;
  latentChannels: number;
  scale: number;
  /** Per core: convolve the condition's share of its gates once per pass (as `conditionedCore`). */
  precompute: { generator: boolean; inference: boolean };
  /** Step l's posterior noise seed (undefined: unseeded). */
  seedAt: (l: number) => number | undefined;
  /** Most patch floats one stacked filter-gradient product may hold; default 4 M (16 MB of wasm heap). */
  stackBudget?: number;
}

/**
 * DRAW's training pass (`Draw.infer`) as ONE custom-gradient op: the forward runs the L steps of
 * both cores, the Gaussian heads, the KL and the canvas writes, and saves what the backward reads;
 * the backward, written by hand, runs the steps in reverse. Why: under tfjs's tape a tiny GQN step
 * was ~940 kernel calls, each tied weight's gradient L separate filter products summed by L - 1
 * adds, and ~10% of the step was tape bookkeeping. Here each weight's filter gradient is one
 * product over the L steps stacked (rows = L x batch x positions: the size a GEMM runs fast at),
 * and its bias gradient one sum. The plain ops in `Draw.infer` stay the reference; the tests
 * compare the two on random configs.
 *
 * @param sets - the weight sets: one (tied) or one per step (untied).
 * @returns the canvas after the last step `[B, H, W, U]` and the KL per step `[B, L]`.
 */
export function fusedInfer(
  condition: tf.Tensor4D,
  target: tf.Tensor4D,
  down: tf.Tensor4D,
  sets: readonly DrawStepTensors[],
  options: FusedInferOptions,
): { canvas: tf.Tensor4D; klPerStep: tf.Tensor2D } {
  const [b, gh, gw] = condition.shape;
  const { scale, steps } = options;
  const canvasChannels = (sets[0] as DrawStepTensors).canvasKernel.shape[2];
  const canvasSize = b * gh * scale * gw * scale * canvasChannels;
  const pass = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [cond, tgt, dn, ...flat] = args as tf.Tensor[];
    const weights = unflatten(flat, sets.length);
    const saved = forward(cond as tf.Tensor4D, tgt as tf.Tensor4D, dn as tf.Tensor4D, weights, options);
    save(saved.tensors);
    return {
      value: tf.concat([tf.reshape(saved.canvas, [-1]), tf.reshape(saved.klPerStep, [-1])]),
      gradFunc: (dy, tensors) =>
        backward(dy as tf.Tensor, tensors, { ...saved.layout, canvasSize, options, sets: sets.length }),
    };
  });
  const flatWeights = sets.flatMap((set) => SET_KEYS.map((key) => set[key] as tf.Tensor));
  const packed = pass(condition, target, down, ...flatWeights);
  return tf.tidy(() => ({
    canvas: tf.reshape(tf.slice(packed, 0, canvasSize), [b, gh * scale, gw * scale, canvasChannels]),
    klPerStep: tf.reshape(tf.slice(packed, canvasSize, b * steps), [b, steps]),
  }));
}

function unflatten(flat: readonly tf.Tensor[], count: number): DrawStepTensors[] {
  const sets: DrawStepTensors[] = [];
  for (let s = 0; s < count; s++) {
    const entries = SET_KEYS.map((key, i) => [key, flat[s * SET_KEYS.length + i]] as const);
    sets.push(Object.fromEntries(entries) as unknown as DrawStepTensors);
  }
  return sets;
}

/** Where the per-step tensors start in the flat list the tape keeps (after the fixed ones). */
interface Layout {
  fixed: number;
}

// The tensors saved per step, in this order.
const PER_STEP = [
  "hgPrev", // generator h before the step [B, h, w, C]
  "restE", // the inference conv's input beyond the condition [B, h, w, 3C] (with it, when not precomputed)
  "cePrev",
  "actE",
  "tanhCE",
  "he", // inference h after the step
  "rawP", // the prior head's raw sigma (before softplus) [B, h, w, Z]
  "muP",
  "sigmaP",
  "rawQ",
  "muQ",
  "sigmaQ",
  "eps",
  "restG", // the generator conv's input beyond the condition [B, h, w, Z + C]
  "cgPrev",
  "actG",
  "tanhCG",
  "hg", // generator h after the step
  "seenInput", // concat(target, canvas before the step) [B, H, W, X + U]
] as const;
type StepSaved = Record<(typeof PER_STEP)[number], tf.Tensor4D>;

// The saved tensors fixed over the steps: the condition, the target and the down kernel, then per
// weight set the kernels the backward reads (a core's condition share is absent when not precomputed).
const FIXED = 3;
const PER_SET = ["gCond", "gRest", "eCond", "eRest", "prior", "posterior", "canvas"] as const;
type SetKernels = Record<(typeof PER_SET)[number], tf.Tensor4D>;

function cell(
  gates: tf.Tensor4D,
  c: tf.Tensor4D,
): { h: tf.Tensor4D; c: tf.Tensor4D; act: tf.Tensor4D; tanhC: tf.Tensor4D } {
  const [hc, act, tanhC] = lstmCellKernel(gates, c) as tf.Tensor4D[];
  const [h, cNext] = tf.split(hc as tf.Tensor4D, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  return { h, c: cNext, act: act as tf.Tensor4D, tanhC: tanhC as tf.Tensor4D };
}

function head(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
): { mu: tf.Tensor4D; raw: tf.Tensor4D; sigma: tf.Tensor4D } {
  const out = tf.fused.conv2d({ x, filter: kernel, strides: 1, pad: "same", bias }) as tf.Tensor4D;
  const [mu, raw] = tf.split(out, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  // gaussianFromHead's sigma: softplus(raw + 0.5) + 1e-8.
  return { mu, raw, sigma: tf.add(tf.softplus(tf.add(raw, 0.5)), 1e-8) as tf.Tensor4D };
}

/**
 * A core's kernel split into the condition's input channels and the rest; unsplit (and an empty
 * placeholder for the condition's share, so that the saved list keeps its layout) when not precomputed.
 */
function splitKernel(
  kernel: tf.Tensor4D,
  conditionChannels: number,
  precompute: boolean,
): [tf.Tensor4D, tf.Tensor4D] {
  if (!precompute) return [tf.zeros([0, 0, 0, 0]) as tf.Tensor4D, kernel];
  const [k, , inputs, outputs] = kernel.shape;
  return [
    tf.slice(kernel, [0, 0, 0, 0], [k, k, conditionChannels, outputs]),
    tf.slice(kernel, [0, 0, conditionChannels, 0], [k, k, inputs - conditionChannels, outputs]),
  ];
}

function forward(
  cond: tf.Tensor4D,
  tgt: tf.Tensor4D,
  down: tf.Tensor4D,
  sets: readonly DrawStepTensors[],
  options: FusedInferOptions,
): { canvas: tf.Tensor4D; klPerStep: tf.Tensor2D; tensors: tf.Tensor[]; layout: Layout } {
  const { steps, precompute, scale } = options;
  const [b, gh, gw, cc] = cond.shape;
  const hidden = (sets[0] as DrawStepTensors).generatorBias.shape[0] / 4;
  const canvasChannels = (sets[0] as DrawStepTensors).canvasKernel.shape[2];
  const fixed: tf.Tensor[] = [cond, tgt, down];
  const coreOf = sets.map((set) => {
    const [gCond, gRest] = splitKernel(set.generatorKernel, cc, precompute.generator);
    const [eCond, eRest] = splitKernel(set.inferenceKernel, cc, precompute.inference);
    const kernels: SetKernels = {
      gCond,
      gRest,
      eCond,
      eRest,
      prior: set.priorKernel,
      posterior: set.posteriorKernel,
      canvas: set.canvasKernel,
    };
    fixed.push(...PER_SET.map((key) => kernels[key]));
    const gates = (kernel: tf.Tensor4D, bias: tf.Tensor1D) =>
      tf.fused.conv2d({ x: cond, filter: kernel, strides: 1, pad: "same", bias }) as tf.Tensor4D;
    return {
      generator: {
        rest: gRest,
        gates: precompute.generator ? gates(gCond, set.generatorBias) : undefined,
        bias: set.generatorBias,
      },
      inference: {
        rest: eRest,
        gates: precompute.inference ? gates(eCond, set.inferenceBias) : undefined,
        bias: set.inferenceBias,
      },
    };
  });
  // The gates of one core at one step: the precomputed condition share plus the rest's convolution,
  // or one convolution of the condition and the rest together (bias in either way).
  const gatesOf = (core: (typeof coreOf)[number]["generator"], rest: tf.Tensor4D): tf.Tensor4D =>
    core.gates
      ? (tf.add(core.gates, tf.conv2d(rest, core.rest, 1, "same")) as tf.Tensor4D)
      : (tf.fused.conv2d({
          x: rest,
          filter: core.rest,
          strides: 1,
          pad: "same",
          bias: core.bias,
        }) as tf.Tensor4D);
  const zeros = tf.zeros([b, gh, gw, hidden]) as tf.Tensor4D;
  let hg = zeros;
  let cg = zeros;
  let he = zeros;
  let ce = zeros;
  let canvas = tf.zeros([b, gh * scale, gw * scale, canvasChannels]) as tf.Tensor4D;
  const perStep: tf.Tensor[] = [];
  const kls: tf.Tensor[] = [];
  for (let l = 0; l < steps; l++) {
    const set = sets[sets.length === 1 ? 0 : l] as DrawStepTensors;
    const core = coreOf[sets.length === 1 ? 0 : l] as (typeof coreOf)[number];
    const prior = head(hg, set.priorKernel, set.priorBias);
    const seenInput = tf.concat([tgt, canvas], 3) as tf.Tensor4D;
    const seen = tf.conv2d(seenInput, down, scale, "valid");
    const restE = tf.concat(precompute.inference ? [hg, seen, he] : [cond, hg, seen, he], 3) as tf.Tensor4D;
    const inference = cell(gatesOf(core.inference, restE), ce);
    const posterior = head(inference.h, set.posteriorKernel, set.posteriorBias);
    const eps = tf.randomNormal(posterior.mu.shape, 0, 1, "float32", options.seedAt(l)) as tf.Tensor4D;
    const z = tf.add(posterior.mu, tf.mul(posterior.sigma, eps)) as tf.Tensor4D;
    const restG = tf.concat(precompute.generator ? [z, hg] : [cond, z, hg], 3) as tf.Tensor4D;
    const generator = cell(gatesOf(core.generator, restG), cg);
    const delta = tf.conv2dTranspose(generator.h, set.canvasKernel, canvas.shape, scale, "valid");
    const step: StepSaved = {
      hgPrev: hg,
      restE,
      cePrev: ce,
      actE: inference.act,
      tanhCE: inference.tanhC,
      he: inference.h,
      rawP: prior.raw,
      muP: prior.mu,
      sigmaP: prior.sigma,
      rawQ: posterior.raw,
      muQ: posterior.mu,
      sigmaQ: posterior.sigma,
      eps,
      restG,
      cgPrev: cg,
      actG: generator.act,
      tanhCG: generator.tanhC,
      hg: generator.h,
      seenInput,
    };
    perStep.push(...PER_STEP.map((key) => step[key]));
    kls.push(tf.sum(klValue(posterior.mu, posterior.sigma, prior.mu, prior.sigma), [1, 2, 3]));
    canvas = tf.add(canvas, tf.add(delta, set.canvasBias)) as tf.Tensor4D;
    hg = generator.h;
    cg = generator.c;
    he = inference.h;
    ce = inference.c;
  }
  return {
    canvas,
    klPerStep: tf.stack(kls, 1) as tf.Tensor2D,
    tensors: [...fixed, ...perStep],
    layout: { fixed: fixed.length },
  };
}

interface BackwardContext extends Layout {
  canvasSize: number;
  options: FusedInferOptions;
  sets: number;
}

/** Sums `parts` (any count, none: undefined) with one AddN. */
function addAll(parts: tf.Tensor[]): tf.Tensor | undefined {
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? (parts[0] as tf.Tensor) : tf.addN(parts);
}

/**
 * The filter gradient of one weight used at several steps: ONE product over the steps' inputs and
 * output gradients stacked along the batch (in chunks whose patch matrix stays within the budget).
 */
function stackedFilterGradient(
  xs: tf.Tensor4D[],
  dys: tf.Tensor4D[],
  filterShape: [number, number, number, number],
  strides: number,
  pad: "same" | "valid",
  budget: number,
): tf.Tensor4D {
  const [kh, kw, ci] = filterShape;
  const [n, ho, wo] = (dys[0] as tf.Tensor4D).shape;
  const perStep = Math.max(1, n * ho * wo * kh * kw * ci);
  const chunk = Math.max(1, Math.floor(budget / perStep));
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < xs.length; start += chunk) {
    const x = xs.slice(start, start + chunk);
    const dy = dys.slice(start, start + chunk);
    parts.push(
      tf.engine().runKernel(
        "Conv2DBackpropFilter",
        {
          x: x.length === 1 ? (x[0] as tf.Tensor) : tf.concat(x, 0),
          dy: dy.length === 1 ? (dy[0] as tf.Tensor) : tf.concat(dy, 0),
        },
        {
          strides,
          pad,
          dataFormat: "NHWC",
          dimRoundingMode: undefined,
          filterShape,
        } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor,
    );
  }
  return addAll(parts) as tf.Tensor4D;
}

/** `tf.tidy` for a function that returns a plain object of tensors (tidy's type wants index signatures). */
function tidyObject<T extends object>(fn: () => T): T {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as T;
}

/** `[a, b, ...]` channel widths split off the last axis of `x`. */
function splitChannels(x: tf.Tensor4D, widths: number[]): tf.Tensor4D[] {
  return tf.split(x, widths, 3) as tf.Tensor4D[];
}

/** The gradients flowing back into the state before a step (see {@link stepBackward}). */
interface ReverseState {
  dhg: tf.Tensor4D;
  dcg: tf.Tensor4D;
  dhe: tf.Tensor4D;
  dce: tf.Tensor4D;
  du: tf.Tensor4D;
}

/** A step's output gradients that the stacked filter and bias gradients read. */
interface StepGrads {
  /** The canvas after the step (the canvas write's output gradient). */
  canvas: tf.Tensor4D;
  generator: tf.Tensor4D;
  inference: tf.Tensor4D;
  prior: tf.Tensor4D;
  posterior: tf.Tensor4D;
  /** The downsampling convolution's output. */
  down: tf.Tensor4D;
}

interface StepShape {
  zc: number;
  cc: number;
  hidden: number;
  scale: number;
  precompute: FusedInferOptions["precompute"];
}

/**
 * One DRAW step backwards: from the gradients reaching its outputs (`after`, and `kg`, the KL
 * term's weight per scene `[B, 1, 1, 1]`) to those reaching its inputs, in the reverse of the
 * forward's order.
 */
function stepBackward(
  s: StepSaved,
  k: SetKernels,
  downCanvas: tf.Tensor4D,
  kg: tf.Tensor,
  after: ReverseState,
  shape: StepShape,
): { state: ReverseState; grads: StepGrads; dCondition?: tf.Tensor4D[] } {
  const { zc, cc, hidden, scale, precompute } = shape;
  const dCondition: tf.Tensor4D[] = [];
  // A core backwards: its cell, then its convolution's input gradient split into the parts of its
  // input (the condition's first when it was not precomputed).
  const core = (
    dh: tf.Tensor4D,
    dc: tf.Tensor4D,
    saved: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D],
    restKernel: tf.Tensor4D,
    precomputed: boolean,
    widths: number[],
  ) => {
    const [cPrev, act, tanhC, rest] = saved;
    const [dGates, dcPrev] = lstmCellGradKernel(tf.concat([dh, dc], 3), cPrev, act, tanhC) as tf.Tensor4D[];
    const dRest = tf.conv2dTranspose(dGates as tf.Tensor4D, restKernel, rest.shape, 1, "same");
    const parts = splitChannels(dRest, precomputed ? widths : [cc, ...widths]);
    if (!precomputed) dCondition.push(parts.shift() as tf.Tensor4D);
    return { dGates: dGates as tf.Tensor4D, dcPrev: dcPrev as tf.Tensor4D, parts };
  };
  // canvas_{l+1} = canvas_l + convT(hg, Wc) + bc
  const dhgOut = tf.add(after.dhg, tf.conv2d(after.du, k.canvas, scale, "valid")) as tf.Tensor4D;
  const generator = core(
    dhgOut,
    after.dcg,
    [s.cgPrev, s.actG, s.tanhCG, s.restG],
    k.gRest,
    precompute.generator,
    [zc, hidden],
  );
  const [dz, dhgFromG] = generator.parts as [tf.Tensor4D, tf.Tensor4D];
  // KL(q || p) and z = mu_q + sigma_q * eps
  const [dMuQKl, dSigmaQKl, dMuP, dSigmaP] = klGradients(kg, s.muQ, s.sigmaQ, s.muP, s.sigmaP);
  const dMuQ = tf.add(dMuQKl, dz);
  const dSigmaQ = tf.add(dSigmaQKl, tf.mul(dz, s.eps));
  // sigma = softplus(raw + 0.5) + 1e-8, so dsigma/draw = sigmoid(raw + 0.5)
  const posterior = tf.concat([dMuQ, tf.mul(dSigmaQ, tf.sigmoid(tf.add(s.rawQ, 0.5)))], 3) as tf.Tensor4D;
  const prior = tf.concat([dMuP, tf.mul(dSigmaP, tf.sigmoid(tf.add(s.rawP, 0.5)))], 3) as tf.Tensor4D;
  const dheOut = tf.add(
    after.dhe,
    tf.conv2dTranspose(posterior, k.posterior, s.he.shape, 1, "same"),
  ) as tf.Tensor4D;
  const inference = core(
    dheOut,
    after.dce,
    [s.cePrev, s.actE, s.tanhCE, s.restE],
    k.eRest,
    precompute.inference,
    [hidden, hidden, hidden],
  );
  const [dhgFromE, dSeen, dhe] = inference.parts as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  // the canvas before the step reached the inference core through the downsampling convolution
  const du = tf.add(
    after.du,
    tf.conv2dTranspose(dSeen, downCanvas, after.du.shape, scale, "valid"),
  ) as tf.Tensor4D;
  const dhgFromP = tf.conv2dTranspose(prior, k.prior, s.hgPrev.shape, 1, "same");
  return {
    state: {
      dhg: tf.addN([dhgFromG, dhgFromE, dhgFromP]),
      dcg: generator.dcPrev,
      dhe,
      dce: inference.dcPrev,
      du,
    },
    grads: {
      canvas: after.du,
      generator: generator.dGates,
      inference: inference.dGates,
      prior,
      posterior,
      down: dSeen,
    },
    ...(dCondition.length > 0 && { dCondition }),
  };
}

function backward(dy: tf.Tensor, saved: tf.Tensor[], context: BackwardContext): tf.Tensor[] {
  return tf.tidy(() => {
    const { options, canvasSize, fixed } = context;
    const { steps, scale, latentChannels: zc, precompute } = options;
    const budget = options.stackBudget ?? 4 * 2 ** 20;
    const cond = saved[0] as tf.Tensor4D;
    const tgt = saved[1] as tf.Tensor4D;
    const down = saved[2] as tf.Tensor4D;
    const [b, gh, gw, cc] = cond.shape;
    const xc = tgt.shape[3];
    const kernels = Array.from({ length: context.sets }, (_, set) => {
      const base = FIXED + set * PER_SET.length;
      return Object.fromEntries(PER_SET.map((key, i) => [key, saved[base + i]])) as SetKernels;
    });
    const at = (l: number): StepSaved => {
      const base = fixed + l * PER_STEP.length;
      return Object.fromEntries(PER_STEP.map((key, i) => [key, saved[base + i]])) as StepSaved;
    };
    const canvasGrad = tf.reshape(tf.slice(dy, 0, canvasSize), [
      b,
      gh * scale,
      gw * scale,
      -1,
    ]) as tf.Tensor4D;
    const klGrad = tf.reshape(tf.slice(dy, canvasSize, b * steps), [b, steps]) as tf.Tensor2D;
    const hidden = (at(0).hg as tf.Tensor4D).shape[3];
    const canvasChannels = canvasGrad.shape[3];
    const downCanvas = tf.slice(down, [0, 0, xc, 0], [scale, scale, canvasChannels, hidden]) as tf.Tensor4D;
    const zero = tf.zeros([b, gh, gw, hidden]) as tf.Tensor4D;
    // The gradients reaching the state after step l: generator h and c, inference h and c, canvas.
    let state: ReverseState = { dhg: zero, dcg: zero, dhe: zero, dce: zero, du: canvasGrad };
    const grads: StepGrads[] = [];
    const conditionGrads: tf.Tensor[] = [];
    const shape = { zc, cc, hidden, scale, precompute };
    for (let l = steps - 1; l >= 0; l--) {
      const k = kernels[context.sets === 1 ? 0 : l] as SetKernels;
      const kg = tf.tidy(() => tf.reshape(tf.slice(klGrad, [0, l], [b, 1]), [b, 1, 1, 1]));
      // Each step's temporaries are freed as it ends: only the state's and the stacked products'
      // gradients outlive it.
      const next = tidyObject(() => stepBackward(at(l), k, downCanvas, kg, state, shape));
      if (next.dCondition) conditionGrads.push(...next.dCondition);
      grads[l] = next.grads;
      tf.dispose([state.dhg, state.dcg, state.dhe, state.dce, kg]);
      state = next.state;
    }
    const setGrads = kernels.map((k, set) => {
      const ls = context.sets === 1 ? Array.from({ length: steps }, (_, l) => l) : [set];
      const pick = (name: keyof StepGrads) => ls.map((l) => (grads[l] as StepGrads)[name]);
      const input = (name: keyof StepSaved) => ls.map((l) => at(l)[name]);
      const sumBias = (dys: tf.Tensor4D[]) => tf.sum(addAll(dys) as tf.Tensor, [0, 1, 2]);
      // A core's kernel gradient: the stacked product over its steps; with the condition's share
      // precomputed, that share's gradient is one product of the condition with the summed gates.
      const core = (
        precomputed: boolean,
        gates: tf.Tensor4D[],
        rest: tf.Tensor4D[],
        condKernel: tf.Tensor4D,
        restKernel: tf.Tensor4D,
      ) => {
        const restGrad = stackedFilterGradient(rest, gates, restKernel.shape, 1, "same", budget);
        if (!precomputed) return [restGrad, sumBias(gates)];
        const gatesSum = addAll(gates) as tf.Tensor4D;
        conditionGrads.push(tf.conv2dTranspose(gatesSum, condKernel, cond.shape, 1, "same"));
        const condGrad = stackedFilterGradient([cond], [gatesSum], condKernel.shape, 1, "same", budget);
        return [tf.concat([condGrad, restGrad], 2), tf.sum(gatesSum, [0, 1, 2])];
      };
      return [
        ...core(precompute.generator, pick("generator"), input("restG"), k.gCond, k.gRest),
        ...core(precompute.inference, pick("inference"), input("restE"), k.eCond, k.eRest),
        stackedFilterGradient(input("hgPrev"), pick("prior"), k.prior.shape, 1, "same", budget),
        sumBias(pick("prior")),
        stackedFilterGradient(input("he"), pick("posterior"), k.posterior.shape, 1, "same", budget),
        sumBias(pick("posterior")),
        // a transposed convolution's filter gradient: its output gradient plays the input
        stackedFilterGradient(pick("canvas"), input("hg"), k.canvas.shape, scale, "valid", budget),
        sumBias(pick("canvas")),
      ];
    });
    const all = Array.from({ length: steps }, (_, l) => l);
    const downGrad = stackedFilterGradient(
      all.map((l) => at(l).seenInput),
      all.map((l) => (grads[l] as StepGrads).down),
      down.shape,
      scale,
      "valid",
      budget,
    );
    return [
      (addAll(conditionGrads) as tf.Tensor | undefined) ?? tf.zerosLike(cond),
      tf.zerosLike(tgt),
      downGrad,
      ...setGrads.flat(),
    ];
  });
}
