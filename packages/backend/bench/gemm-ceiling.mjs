// How fast can a matrix product be on this machine, and how fast is the reference's convolution?
// The GEMMs of GQN's convolutions (as the accelerator's gemm method shapes them) through
// onnxruntime on 1 and 2 threads, and, where python3 has torch, the same products as torch.mm and
// the same convolutions as torch's conv2d (oneDNN's direct kernels, what the PyTorch reference
// runs). Prints a markdown table; no assertions. `node bench/gemm-ceiling.mjs` (no build needed).
//
// Why it exists: it separates what im2col + GEMM can reach at all from what our step adds on top.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import * as ort from "onnxruntime-node";

// Convolutions (NHWC x, k x k, same padding, stride 1): small's two DRAW cores and tiny's.
const CONVS = [
  { name: "small, inference core", x: [8, 8, 8, 263], k: 5, co: 256 },
  { name: "small, generator core", x: [8, 8, 8, 151], k: 5, co: 256 },
  { name: "tiny, a core", x: [8, 8, 8, 72], k: 5, co: 128 },
];
const REPS = Number(process.env.GQN_BENCH_REPS ?? 20);

/** The three products of one convolution: forward, filter gradient, input gradient. */
function products({ x: [n, h, w, ci], k, co }, stackedSteps = 1) {
  const rows = n * h * w;
  return [
    { kind: "forward", m: rows, k: k * k * ci, n: co },
    { kind: "filter grad", m: k * k * ci, k: rows, n: co, transA: true },
    {
      kind: `filter grad, ${stackedSteps} steps stacked`,
      m: k * k * ci,
      k: rows * stackedSteps,
      n: co,
      transA: true,
    },
    { kind: "input grad", m: rows, k: k * k * co, n: ci },
  ];
}

const here = fileURLToPath(new URL(".", import.meta.url));
const bundled = join(tmpdir(), `gqn-gemm-ceiling-${process.pid}.mjs`);
await build({
  entryPoints: [join(here, "../src/onnx/conv-model.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: bundled,
  conditions: ["@gqn/source"],
  logLevel: "error",
});
const { buildGemmModel } = await import(bundled);
rmSync(bundled);

async function onnxMs(spec, threads) {
  const session = await ort.InferenceSession.create(buildGemmModel(spec), {
    intraOpNumThreads: threads,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  const a = new ort.Tensor(
    "float32",
    new Float32Array(spec.m * spec.k).fill(0.5),
    spec.transA ? [spec.k, spec.m] : [spec.m, spec.k],
  );
  const b = new ort.Tensor("float32", new Float32Array(spec.k * spec.n).fill(0.25), [spec.k, spec.n]);
  const feeds = { [session.inputNames[0]]: a, [session.inputNames[1]]: b };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < REPS; i++) await session.run(feeds);
    best = Math.min(best, (performance.now() - started) / REPS);
  }
  await session.release();
  return best;
}

const torch = spawnSync(
  "python3",
  [join(here, "gemm-ceiling.py"), JSON.stringify({ convs: CONVS, reps: REPS })],
  {
    encoding: "utf8",
  },
);
const torchMs = torch.status === 0 ? JSON.parse(torch.stdout) : undefined;

const gflops = (flop, ms) => (ms > 0 ? (flop / ms / 1e6).toFixed(0) : "-");
console.log(
  `GEMM ceiling: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.versions.node}, onnxruntime-node ${ort.env.versions.common}; load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(", ")}`,
);
if (!torchMs)
  console.log(
    `(no torch columns: python3 with torch did not run: ${(torch.stderr || torch.error?.message || "").trim().split("\n").pop()})`,
  );
console.log("");
console.log(
  "| convolution | product | m x k x n | onnxruntime 1 thread | onnxruntime 2 threads | torch.mm | torch conv2d |",
);
console.log("|---|---|---|---|---|---|---|");
for (const [c, conv] of CONVS.entries()) {
  for (const [p, spec] of products(conv, 8).entries()) {
    const flop = 2 * spec.m * spec.k * spec.n;
    const one = await onnxMs(spec, 1);
    const two = await onnxMs(spec, 2);
    const mm = torchMs?.mm[c][p];
    const direct = torchMs?.conv[c][p];
    console.log(
      `| ${p === 0 ? `${conv.name}: [${conv.x}] -> ${conv.co}, k${conv.k}` : ""} | ${spec.kind} | ${spec.m} x ${spec.k} x ${spec.n} | ${gflops(flop, one)} | ${gflops(flop, two)} | ${mm ? gflops(flop, mm) : "-"} | ${direct ? gflops(flop, direct) : "-"} |`,
    );
  }
}
console.log(
  "\nGFLOP/s, best of 3 rounds of",
  REPS,
  "products; torch on 2 threads (torch.set_num_threads; torch.mm runs on its BLAS's own threads).",
);
