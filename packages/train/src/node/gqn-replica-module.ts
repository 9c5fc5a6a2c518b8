// The module that createDataParallel's workers import (built to dist/gqn-replica.js): it exports
// buildReplica, which rebuilds a GqnModel from its JSON config. bench/train-step.mjs times
// data-parallel steps with the other two (a build entry, outside the package's exports).
export { buildReplica, gqnReplica, gqnReplicaModule } from "./gqn-replica.js";
