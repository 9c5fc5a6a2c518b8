// The module that createDataParallel's workers import (built to dist/gqn-replica.js): it exports
// buildReplica, which rebuilds a GqnModel from its JSON config.
export { buildReplica } from "./gqn-replica.js";
