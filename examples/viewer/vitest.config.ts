import { packageTestConfig } from "../../vitest.shared.ts";

// The e2e test builds the page and drives a real browser: it needs more than the default minute.
export default packageTestConfig({ tfjs: true, timeoutMs: 110_000 });
