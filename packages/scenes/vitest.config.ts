import { packageTestConfig } from "../../vitest.shared.ts";

// tfjs only for test/scene-batches.test.ts (the training reader yields tensors).
export default packageTestConfig({ tfjs: true });
