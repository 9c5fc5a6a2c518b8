import { GqnError } from "@gqn/core";
import { type CliIo, integerOption, Option, parseCli, reportCliFailure } from "@gqn/core/cli";
import { modelOnDataCommand } from "./cli-flags.js";
import { type RenderCheckpointOptions, renderCheckpoint } from "./render-checkpoint.js";

/**
 * The `gqn-render` command: renders test scenes beside their targets, and with `--orbit FRAMES`
 * an orbit of the camera around the first scene (PNG frames and an animated GIF). Resolves to
 * the exit code: 0 done, 1 failed (one line on stderr), 2 bad usage.
 */
export async function runRenderCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const command = modelOnDataCommand(
    "gqn-render",
    "Render test scenes and camera orbits with a trained GQN.",
    io,
  )
    .requiredOption("--out <dir>", "where the PNGs and the GIF go")
    .option("--scenes <n>", "test scenes to render beside their targets", integerOption(0), 4)
    .option(
      "--orbit <frames>",
      "frames of a camera orbit around the first scene (PNGs + GIF; at most 3600)",
      integerOption(1, 3600),
    )
    .option(
      "--samples <n>",
      "prior samples averaged per rendering (the predictive mean; at most 1000)",
      integerOption(1, 1000),
      1,
    )
    .option(
      "--zoom <n>",
      "enlarge the PNGs and the GIF N times (nearest neighbour; at most 64)",
      integerOption(1, 64),
      1,
    )
    .addOption(
      new Option("--up <axis>", "vertical axis of the dataset's cameras").choices(["y", "z"]).default("y"),
    )
    .option("--seed <n>", "seed of the scene choice and latents", integerOption(0), 0);
  const usage = parseCli(command, argv);
  if (usage !== undefined) return usage;
  if (command.opts().scenes === 0 && command.opts().orbit === undefined) {
    (io.stderr ?? process.stderr).write(
      "gqn-render: --scenes 0 without --orbit renders nothing. Give --scenes N >= 1, or --orbit FRAMES.\n",
    );
    return 2;
  }
  // The flags are named as renderCheckpoint's options.
  const { debug, ...options } = command.opts<Omit<RenderCheckpointOptions, "log"> & { debug?: boolean }>();
  try {
    const result = await renderCheckpoint({
      ...options,
      log: (line) => (io.stderr ?? process.stderr).write(`${line}\n`),
    });
    if (result.scenes.length === 0 && result.orbitFrames.length === 0) {
      throw new GqnError("IO_ERROR", `the test split of ${options.dataset} gave no scene to render.`);
    }
    (io.stdout ?? process.stdout).write(
      `gqn-render: step ${result.step}: ${result.scenes.length} scenes${result.gif ? `, ${result.orbitFrames.length} orbit frames and ${result.gif}` : ""} in ${options.out}\n`,
    );
    return 0;
  } catch (error) {
    return reportCliFailure("gqn-render", error, debug, io);
  }
}
