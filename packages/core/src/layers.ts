// tfjs-layers helpers shared by the layers of @gqn/encoders, @gqn/draw and @gqn/model, written
// against tfjs-layers' public API (its exported classes and their protected members).
import type * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { deriveSeed } from "./derive-seed.js";

/** The constructor arguments of a tfjs-layers `Layer` (name, trainable, dtype, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** The keyword arguments tfjs hands to `Layer.apply` and `Layer.call` (`training`, ...). */
export type Kwargs = NonNullable<Parameters<tfl.layers.Layer["apply"]>[1]>;

type ApplyInputs = tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[];

/**
 * A tfjs-layers `Layer` whose weights are named `<scope>/<layer name>/<weight>` however it is
 * built: by tfjs inside `apply` (which opens the layer's name scope) or directly by a containing
 * layer's `build` (which does not). And it can be disposed after eager use alone (its own methods
 * called after `build`), which tfjs refuses for a layer never applied.
 */
export abstract class ScopedLayer extends tfl.layers.Layer {
  private applying = false;

  /** tfjs's `apply`, noting that tfjs opened this layer's name scope. */
  override apply(inputs: ApplyInputs, kwargs?: Kwargs): ApplyInputs {
    this.applying = true;
    try {
      return super.apply(inputs, kwargs);
    } finally {
      this.applying = false;
    }
  }

  /** tfjs's `addWeight`, with `name` put under this layer's name outside `apply`. */
  protected override addWeight(
    name: string,
    ...rest: Parameters<tfl.layers.Layer["addWeight"]> extends [string, ...infer R] ? R : never
  ): tfl.LayerVariable {
    return super.addWeight(this.applying ? name : `${this.name}/${name}`, ...rest);
  }

  /**
   * A trainable float32 weight, glorot-uniform or zeros, seeded by `deriveSeed(seed, name)`: salted
   * by the weight's name, the same seed gives the same weight whatever the build order.
   */
  protected seededWeight(
    name: string,
    shape: number[],
    init: "glorot" | "zeros",
    seed: number | undefined,
  ): tfl.LayerVariable {
    const salted = seed === undefined ? undefined : deriveSeed(seed, name);
    const initializer =
      init === "zeros"
        ? tfl.initializers.zeros()
        : tfl.initializers.glorotUniform(salted === undefined ? {} : { seed: salted });
    return this.addWeight(name, shape, "float32", initializer, undefined, true);
  }

  /** Releases the weights, also of a layer built and used without `apply`. */
  override dispose(): ReturnType<tfl.layers.Layer["dispose"]> {
    // tfjs counts a layer's uses from its first apply; one used eagerly alone has no count yet.
    if (this.built && this._refCount === null) this._refCount = 1;
    return super.dispose();
  }
}
