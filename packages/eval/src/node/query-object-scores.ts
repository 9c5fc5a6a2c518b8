// The object scores of scoreQueries: reads the query views' object masks beside the dataset (when
// it has them) and keeps one ObjectScoreMeter per renderer and baseline.
import { ObjectMasks, readDatasetInfo, type SceneBatch } from "@gqn/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { type ObjectMaskTensors, type ObjectScore, ObjectScoreMeter } from "../object-scores.js";

/** Object scores of every image scored on a split with object masks. */
export class QueryObjectScores {
  private readonly meters = new Map<string, ObjectScoreMeter>();

  private constructor(private readonly masks: ObjectMasks) {}

  /**
   * Scores on the masks of `split` when the dataset has object masks (its dataset.json names
   * them), else undefined: the caller then reports them absent.
   */
  static async open(
    data: { dataDir: string; dataset: string; frameSize?: number },
    split: "train" | "test",
  ): Promise<QueryObjectScores | undefined> {
    const info = await readDatasetInfo(data.dataDir, data.dataset);
    const masks = ObjectMasks.open(data.dataDir, info, split, {
      ...(data.frameSize !== undefined && { frameSize: data.frameSize }),
    });
    return masks && new QueryObjectScores(masks);
  }

  /** Adds each named image `[B, H, W, 3]` (borrowed) against the batch's targets and query masks. */
  async add(batch: SceneBatch, images: Readonly<Record<string, tf.Tensor4D>>): Promise<void> {
    const [b, h, w] = batch.target.shape;
    const read = await this.masks.queryMasks(batch.scenes);
    const masks: ObjectMaskTensors = {
      ids: tf.tensor3d(read.ids, [b, h, w], "int32"),
      behind: tf.tensor4d(read.behind, [b, h, w, 3]),
    };
    try {
      for (const [name, image] of Object.entries(images)) {
        let meter = this.meters.get(name);
        if (meter === undefined) {
          meter = new ObjectScoreMeter();
          this.meters.set(name, meter);
        }
        await meter.add(image, batch.target, masks);
      }
    } finally {
      tf.dispose([masks.ids, masks.behind]);
    }
  }

  /** The scores of the image named `name` over everything added. */
  result(name: string): ObjectScore {
    const meter = this.meters.get(name);
    if (meter === undefined) throw new Error(`QueryObjectScores.result: nothing named "${name}" was scored.`);
    return meter.result();
  }

  close(): Promise<void> {
    return this.masks.close();
  }
}
