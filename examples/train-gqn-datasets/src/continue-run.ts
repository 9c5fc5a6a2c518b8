import { basename } from "node:path";
import { listCheckpoints } from "@gqn/eval/node";

/**
 * The gqn-train arguments for a model dir that may already hold a run. train_gqn_draw.py (a
 * tf.estimator) continues from its model_dir's newest checkpoint, so a second `pnpm start` does
 * the same: `--resume` is added, with `moreSteps` (the demo's) counted from that checkpoint.
 */
export async function continueRun(
  argv: readonly string[],
  modelDir: string,
  moreSteps?: number,
): Promise<{ argv: string[]; note?: string }> {
  const last = (await listCheckpoints(modelDir)).at(-1);
  if (last === undefined || argv.includes("--resume")) return { argv: [...argv] };
  const args = [...argv, "--resume"];
  if (moreSteps !== undefined) {
    const at = args.indexOf("--steps");
    const total = String(last.step + moreSteps);
    if (at >= 0) args[at + 1] = total;
    else args.push("--steps", total);
  }
  return {
    argv: args,
    note: `${modelDir} holds ${basename(last.path)}: continuing it (--resume), as train_gqn_draw.py continues from its model_dir; pass another --model-dir to start over.`,
  };
}
