export { type Aggregation, aggregateViews } from "./aggregate.js";
export type { SceneEncoder } from "./scene-encoder.js";
