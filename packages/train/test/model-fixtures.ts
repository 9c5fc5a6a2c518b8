// The model package's small configs and random batches, shared with the trainer tests.
export { testBatch, tinyConfig } from "../../model/test/model-fixtures.js";
