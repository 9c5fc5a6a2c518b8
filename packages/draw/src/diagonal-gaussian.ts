import { GqnError } from "@gqn/core";
import * as tf from "@tensorflow/tfjs-core";

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Element-wise log density of `x` under `N(mu, sigma^2)`:
 * `-((x - mu)^2 / (2 sigma^2)) - log sigma - log(2 pi) / 2`. `sigma` is a tensor of `mu`'s shape
 * or one number. It backs {@link DiagonalGaussian.logProb}. The ELBO does not call it: its KL
 * is closed-form ({@link DiagonalGaussian.kl}), and its likelihood (@gqn/model's `gaussianNll`)
 * sums this formula per image with the constant added once, in float64.
 *
 * @returns a tensor of `x`'s shape, owned by the caller.
 */
function gaussianLogDensity(x: tf.Tensor, mu: tf.Tensor, sigma: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, mu), sigma);
    const logSigma = typeof sigma === "number" ? Math.log(sigma) : tf.log(sigma);
    return tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logSigma, 0.5 * LOG_2PI));
  });
}

/**
 * A diagonal Gaussian over a tensor of any shape: per-element mean `mu` and standard deviation
 * `sigma` (same shape). It does not own its tensors: create and use it inside `tf.tidy`.
 */
export class DiagonalGaussian {
  constructor(
    readonly mu: tf.Tensor,
    readonly sigma: tf.Tensor,
  ) {
    if (mu.shape.join() !== sigma.shape.join()) {
      throw new GqnError(
        "SHAPE_MISMATCH",
        `DiagonalGaussian: mu [${mu.shape.join(", ")}] and sigma [${sigma.shape.join(", ")}] must have the same shape.`,
      );
    }
  }

  /**
   * A reparameterised sample `mu + sigma * eps`, `eps ~ N(0, 1)`: gradients flow to mu and sigma.
   * The same seed gives the same eps.
   */
  sample(seed?: number): tf.Tensor {
    return tf.tidy(() =>
      tf.add(this.mu, tf.mul(this.sigma, tf.randomNormal(this.mu.shape, 0, 1, "float32", seed))),
    );
  }

  /** Element-wise log density of `x` ({@link gaussianLogDensity}). */
  logProb(x: tf.Tensor): tf.Tensor {
    return gaussianLogDensity(x, this.mu, this.sigma);
  }

  /**
   * Element-wise analytic KL(this || other):
   * `log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2`.
   */
  kl(other: DiagonalGaussian): tf.Tensor {
    return tf.tidy(() => {
      const args = [this.mu, this.sigma, other.mu, other.sigma] as const;
      // The hand-written gradient has no broadcasting: other shapes take the plain ops.
      const same = args.every((t) => tf.util.arraysEqual(t.shape, this.mu.shape));
      return same ? gaussianKl(...args) : klValue(...args);
    });
  }
}

/**
 * Turns a head's `2Z`-channel output into a Gaussian: the first Z channels are mu, the last Z a
 * raw scale with `sigma = softplus(raw + 0.5) + 1e-8` (tf-gqn's: sigma starts near 1 and never
 * reaches 0).
 */
export function gaussianFromHead(output: tf.Tensor4D): DiagonalGaussian {
  const channels = output.shape[3];
  if (channels % 2 !== 0) {
    throw new GqnError(
      "SHAPE_MISMATCH",
      `gaussianFromHead: output must have an even channel count (mu and raw sigma), but got [${output.shape.join(", ")}].`,
    );
  }
  const [mu, raw] = tf.split(output, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  const sigma = tf.add(tf.softplus(tf.add(raw, 0.5)), 1e-8);
  return new DiagonalGaussian(mu, sigma);
}

/** Element-wise KL(N(m1, s1) || N(m2, s2)) in plain tfjs ops (autodiff through them). */
export function klValue(m1: tf.Tensor, s1: tf.Tensor, m2: tf.Tensor, s2: tf.Tensor): tf.Tensor {
  const ratio = tf.square(tf.div(s1, s2));
  const meanTerm = tf.square(tf.div(tf.sub(m1, m2), s2));
  return tf.mul(0.5, tf.sub(tf.add(ratio, meanTerm), tf.add(tf.log(ratio), 1)));
}

/**
 * The gradients of {@link klValue} with respect to m1, s1, m2, s2 given its upstream gradient
 * `dy` (broadcast against them): with d = m1 - m2, dKL/dm1 = d / s2^2 = -dKL/dm2,
 * dKL/ds1 = s1 / s2^2 - 1 / s1, dKL/ds2 = 1 / s2 - (s1^2 + d^2) / s2^3.
 */
export function klGradients(
  dy: tf.Tensor,
  m1: tf.Tensor,
  s1: tf.Tensor,
  m2: tf.Tensor,
  s2: tf.Tensor,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  const t = tf.div(dy, s2); // dy / s2
  const u = tf.div(tf.sub(m1, m2), s2); // d / s2
  const r = tf.div(s1, s2); // s1 / s2
  const dm1 = tf.mul(t, u);
  return [
    dm1,
    tf.sub(tf.mul(t, r), tf.div(dy, s1)),
    tf.neg(dm1),
    tf.sub(t, tf.mul(t, tf.add(tf.square(r), tf.square(u)))),
  ];
}

/**
 * Element-wise KL(N(m1, s1) || N(m2, s2)) with a hand-written gradient: tfjs's tape recorded ten
 * ops, their saved copies and ~30 gradient kernels per call (a DRAW step computes one KL),
 * against ~13 kernels here ({@link klGradients}). All four inputs have one shape.
 */
const gaussianKl = tf.customGrad((m1, s1, m2, s2, save) => {
  const [a, b, c, d] = [m1, s1, m2, s2] as tf.Tensor[];
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor, c as tf.Tensor, d as tf.Tensor]);
  return {
    value: klValue(a as tf.Tensor, b as tf.Tensor, c as tf.Tensor, d as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      klGradients(dy as tf.Tensor, ...(saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])),
  };
});
