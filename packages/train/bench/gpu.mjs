// `pnpm bench:gpu`: training steps per second and GFLOP/s of tiny, small and paper at 32 and 64 px
// on WebGPU beside wasm (and tfjs-node where installed), at batch 8. On a machine without a GPU
// adapter the WebGPU rows say why; on a software one (lavapipe, SwiftShader) they are a CPU's.
// Any GQN_BENCH_* variable set by the caller wins (see train-step.mjs).
const defaults = {
  GQN_BENCH_PRESETS: "tiny,small,paper",
  GQN_BENCH_FRAMES: "32,64",
  GQN_BENCH_ENGINES: "wasm,webgpu,tensorflow",
  GQN_BENCH_BATCH: "8",
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
await import("./train-step.mjs");
