import { GqnError } from "@gqn/core";
import { Option } from "commander";
import { BACKENDS, type CliIo, fail, integer, parse, program } from "./cli-support.js";
import { renderCheckpoint } from "./render-checkpoint.js";

/**
 * The `gqn-render` command: renders test scenes beside their targets, and with `--orbit FRAMES`
 * an orbit of the camera around the first scene (PNG frames and an animated GIF). Resolves to
 * the exit code: 0 done, 1 failed (one line on stderr), 2 bad usage.
 */
export async function runRenderCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const command = program("gqn-render", "Render test scenes and camera orbits with a trained GQN.", io)
    .requiredOption("--model-dir <dir>", "run directory (its newest checkpoint) or a checkpoint directory")
    .requiredOption("--data-dir <dir>", "directory holding <dataset>/{train,test}/*.tfrecord")
    .requiredOption("--dataset <name>", "dataset name")
    .requiredOption("--out <dir>", "where the PNGs and the GIF go")
    .option("--scenes <n>", "test scenes to render beside their targets", integer(0), 4)
    .option(
      "--orbit <frames>",
      "frames of a camera orbit around the first scene (PNGs + GIF; at most 3600)",
      integer(1, 3600),
    )
    .option("--context-size <k>", "context views per scene (default: as trained)", integer(1))
    .option(
      "--samples <n>",
      "prior samples averaged per rendering (the predictive mean; at most 1000)",
      integer(1, 1000),
      1,
    )
    .option(
      "--zoom <n>",
      "enlarge the PNGs and the GIF N times (nearest neighbour; at most 64)",
      integer(1, 64),
      1,
    )
    .addOption(
      new Option("--up <axis>", "vertical axis of the dataset's cameras").choices(["y", "z"]).default("y"),
    )
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--seed <n>", "seed of the scene choice and latents", integer(0), 0)
    .option("--debug", "print stacks on errors");
  const usage = parse(command, argv);
  if (usage !== undefined) return usage;
  if (command.opts().scenes === 0 && command.opts().orbit === undefined) {
    (io.stderr ?? process.stderr).write(
      "gqn-render: --scenes 0 without --orbit renders nothing. Give --scenes N >= 1, or --orbit FRAMES.\n",
    );
    return 2;
  }
  const o = command.opts<{
    modelDir: string;
    dataDir: string;
    dataset: string;
    out: string;
    scenes: number;
    orbit?: number;
    contextSize?: number;
    samples: number;
    zoom: number;
    up: "y" | "z";
    backend: (typeof BACKENDS)[number];
    seed: number;
    debug?: boolean;
  }>();
  try {
    const result = await renderCheckpoint({
      modelDir: o.modelDir,
      dataDir: o.dataDir,
      dataset: o.dataset,
      out: o.out,
      scenes: o.scenes,
      orbit: o.orbit ?? 0,
      ...(o.contextSize !== undefined && { contextSize: o.contextSize }),
      samples: o.samples,
      zoom: o.zoom,
      up: o.up,
      backend: o.backend,
      seed: o.seed,
      log: (line) => (io.stderr ?? process.stderr).write(`${line}\n`),
    });
    if (result.scenes.length === 0 && result.orbitFrames.length === 0) {
      throw new GqnError("IO_ERROR", `the test split of ${o.dataset} gave no scene to render.`);
    }
    (io.stdout ?? process.stdout).write(
      `gqn-render: step ${result.step}: ${result.scenes.length} scenes${result.gif ? `, ${result.orbitFrames.length} orbit frames and ${result.gif}` : ""} in ${o.out}\n`,
    );
    return 0;
  } catch (error) {
    return fail("gqn-render", error, o.debug, io);
  }
}
