// What gqn-eval and gqn-render share of their command lines: the command and the flags both take.
import type { BackendRequest } from "@gqn/backend";
import { type CliIo, type Command, cliCommand, integerOption, Option, packageVersion } from "@gqn/core/cli";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const satisfies readonly BackendRequest[];

/**
 * A command of this package with the flags of a model meeting a dataset: `--model-dir`,
 * `--data-dir`, `--dataset`, `--context-size`, `--backend` and `--debug` (named as
 * ModelOnDataOptions names them).
 */
export function modelOnDataCommand(name: string, description: string, io: CliIo): Command {
  return cliCommand(name, description, packageVersion("@gqn/eval", import.meta.url), io)
    .requiredOption(
      "--model-dir <dir>",
      "run directory (its newest checkpoint), a checkpoint or a saved model",
    )
    .requiredOption("--data-dir <dir>", "directory holding <dataset>/{train,test}/*.tfrecord")
    .requiredOption("--dataset <name>", "dataset name")
    .option("--context-size <k>", "context views per scene (default: as trained)", integerOption(1))
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--debug", "print stacks on errors");
}
