export { canonicalJson } from "./canonical-json.js";
export { checkInteger, type IntegerRange } from "./check-integer.js";
export { deriveSeed } from "./derive-seed.js";
export { GqnError, type GqnErrorCode, isGqnError } from "./errors.js";
export { FUSED_KERNELS } from "./fused-kernels.js";
export { ProtoWriter } from "./protobuf-writer.js";
export { Random } from "./random.js";
export { assertShape, type DimSpec, formatShape } from "./shape.js";
