import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * A STAND-IN for a gqn-train checkpoint, for tests only: a small LayersModel of stock layers with
 * the whole-GQN signature (context frames `[B, K, H, W, 3]`, context poses `[B, K, 7]`, query pose
 * `[B, 7]` -> image `[B, H, W, 3]`) and random weights. It is no GQN: its picture is a smooth
 * function of the views and the query pose, which is all the viewer's plumbing needs to be tested.
 */
export function createStandInGqnModel(
  options: { frameSize?: number; contextSize?: number | null; seed?: number } = {},
): tfl.LayersModel {
  const size = options.frameSize ?? 32;
  const k = options.contextSize === undefined ? null : options.contextSize;
  const seed = options.seed ?? 1;
  const grid = size / 4;
  const init = (offset: number) => tfl.initializers.glorotUniform({ seed: seed + offset });
  const frames = tfl.input({ shape: [k, size, size, 3], name: "context_frames" });
  const poses = tfl.input({ shape: [k, 7], name: "context_poses" });
  const query = tfl.input({ shape: [7], name: "query_pose" });

  // Per view: a k4 s4 conv to the core grid; then the mean over views.
  const perView = tfl.layers
    .timeDistributed({
      layer: tfl.layers.conv2d({
        filters: 4,
        kernelSize: 4,
        strides: 4,
        activation: "relu",
        kernelInitializer: init(0),
      }),
    })
    .apply(frames) as tfl.SymbolicTensor; // [B, K, grid, grid, 4]
  const flat = tfl.layers
    .reshape({ targetShape: [-1, grid * grid * 4] })
    .apply(perView) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling1d().apply(flat) as tfl.SymbolicTensor;
  const r = tfl.layers.reshape({ targetShape: [grid, grid, 4] }).apply(pooled) as tfl.SymbolicTensor;

  const meanPose = tfl.layers.globalAveragePooling1d().apply(poses) as tfl.SymbolicTensor; // [B, 7]
  const poseCode = tfl.layers.concatenate().apply([meanPose, query]) as tfl.SymbolicTensor; // [B, 14]
  const poseGrid = tfl.layers
    .dense({ units: grid * grid * 4, activation: "tanh", kernelInitializer: init(1) })
    .apply(poseCode) as tfl.SymbolicTensor;
  const poseMap = tfl.layers.reshape({ targetShape: [grid, grid, 4] }).apply(poseGrid) as tfl.SymbolicTensor;

  const joined = tfl.layers.concatenate().apply([r, poseMap]) as tfl.SymbolicTensor; // [B, grid, grid, 8]
  const hidden = tfl.layers
    .conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(2) })
    .apply(joined) as tfl.SymbolicTensor;
  const up = tfl.layers.upSampling2d({ size: [4, 4] }).apply(hidden) as tfl.SymbolicTensor;
  const image = tfl.layers
    .conv2d({
      filters: 3,
      kernelSize: 3,
      padding: "same",
      activation: "sigmoid",
      kernelInitializer: init(3),
      name: "stand_in_image",
    })
    .apply(up) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [frames, poses, query], outputs: image, name: "stand_in_gqn" });
}

/** The stand-in's model.json and weights, as tfjs' `model.save` hands them to a save handler. */
export async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (!saved) throw new Error("saveToMemory: the model saved nothing");
  return saved;
}
