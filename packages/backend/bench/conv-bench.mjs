// Convolution kernel throughput (GFLOP/s) per engine on GQN-shaped convolutions.
// Run with `pnpm bench` (builds first). Prints a markdown table; no assertions.
// GQN_BENCH_REPS (default 2) sets the timed runs per cell; the best is kept.
// GQN_BENCH_CPU_FILTER_GRAD=1 adds the cpu backend's filter gradient (over a minute).
// GQN_BENCH_COLUMNS (comma-separated words, e.g. "onnxruntime") keeps the engines whose label has one.
// GQN_BENCH_SHAPES (comma-separated words, e.g. "32 px") keeps the convolutions whose name has one.
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, registerWasmTrainingKernels, unregisterWasmTrainingKernels } from "../dist/index.js";
import { tryEnableOnnxConvAccelerator } from "../dist/node.js";

tf.enableProdMode();
const REPS = Number(process.env.GQN_BENCH_REPS ?? 2);
/** The cpu filter gradient runs at ~0.01-0.07 GFLOP/s: over a minute even on the small shape. */
const CPU_FILTER_GRAD = process.env.GQN_BENCH_CPU_FILTER_GRAD === "1";
/** A cell slower than this on its first run is not repeated. */
const SLOW_MS = 4000;

/** GQN-like convolutions: name, x shape, kernel, output channels, stride, padding, and whether
 * the cpu backend runs it (its filter gradient runs at ~0.05 GFLOP/s: minutes per cell). */
const SHAPES = [
  {
    name: "small at 32 px, inference core: [8,8,8,263] -> 256, k5 same",
    x: [8, 8, 8, 263],
    k: 5,
    co: 256,
    s: 1,
    pad: "same",
    cpu: false,
  },
  {
    name: "small at 32 px, generator core: [8,8,8,151] -> 256, k5 same",
    x: [8, 8, 8, 151],
    k: 5,
    co: 256,
    s: 1,
    pad: "same",
    cpu: false,
  },
  {
    name: "tiny at 32 px, a core: [8,8,8,72] -> 128, k5 same",
    x: [8, 8, 8, 72],
    k: 5,
    co: 128,
    s: 1,
    pad: "same",
    cpu: false,
  },
  {
    name: "issue: [4,16,16,128] -> 256, k5 same",
    x: [4, 16, 16, 128],
    k: 5,
    co: 256,
    s: 1,
    pad: "same",
    cpu: true,
  },
  {
    name: "DRAW core: [4,16,16,583] -> 1024, k5 same",
    x: [4, 16, 16, 583],
    k: 5,
    co: 1024,
    s: 1,
    pad: "same",
    cpu: false,
  },
  {
    name: "tower: [36,32,32,128] -> 256, k2 s2 valid",
    x: [36, 32, 32, 128],
    k: 2,
    co: 256,
    s: 2,
    pad: "valid",
    cpu: false,
  },
  {
    name: "tower: [36,16,16,256] -> 128, k3 same",
    x: [36, 16, 16, 256],
    k: 3,
    co: 128,
    s: 1,
    pad: "same",
    cpu: false,
  },
  {
    name: "canvas: [4,64,64,256] <- [4,16,16,256], k4 s4",
    x: [4, 64, 64, 256],
    k: 4,
    co: 256,
    s: 4,
    pad: "valid",
    cpu: false,
  },
];

const KERNELS = ["forward", "filter grad", "input grad / transposed"];

function flopsOf(shape) {
  const [n, h, w, ci] = shape.x;
  const ho = shape.pad === "same" ? Math.ceil(h / shape.s) : Math.floor((h - shape.k) / shape.s) + 1;
  const wo = shape.pad === "same" ? Math.ceil(w / shape.s) : Math.floor((w - shape.k) / shape.s) + 1;
  return { flops: 2 * n * ho * wo * shape.co * shape.k * shape.k * ci, dyShape: [n, ho, wo, shape.co] };
}

function runKernel(kernel, shape, t) {
  const attrs = { strides: shape.s, pad: shape.pad, dataFormat: "NHWC", dilations: 1 };
  if (kernel === "forward") return tf.engine().runKernel("Conv2D", { x: t.x, filter: t.filter }, attrs);
  if (kernel === "filter grad") {
    return tf
      .engine()
      .runKernel("Conv2DBackpropFilter", { x: t.x, dy: t.dy }, { ...attrs, filterShape: t.filter.shape });
  }
  return tf.conv2dTranspose(t.dy, t.filter, shape.x, shape.s, shape.pad);
}

/** Best ms over the runs, or a reason it could not run. */
function time(kernel, shape, t) {
  if (kernel === "filter grad" && !tf.getKernel("Conv2DBackpropFilter", tf.getBackend()))
    return "not registered";
  const once = () => {
    const start = performance.now();
    const out = runKernel(kernel, shape, t);
    out.dataSync();
    out.dispose();
    return performance.now() - start;
  };
  let best = once(); // warm-up (sessions, operator packing); kept when it is all we can afford
  if (best > SLOW_MS) return best;
  for (let i = 0; i < REPS; i++) best = Math.min(best, once());
  return best;
}

/** Whether `label` has one of the comma-separated words of `filter` (all, when unset). */
function selected(filter, label) {
  return !filter || filter.split(",").some((word) => label.includes(word.trim()));
}

function formatRate(gflops) {
  return gflops >= 10 ? gflops.toFixed(0) : gflops.toPrecision(2);
}

async function main() {
  await initBackend({ backend: "wasm", log: () => {} });
  const started = performance.now();
  const columns = [
    { label: "cpu", backend: "cpu", setup: () => {} },
    {
      label: "wasm stock",
      backend: "wasm",
      setup: () => {
        unregisterWasmTrainingKernels();
      },
    },
    {
      label: "wasm + @gqn kernels (XNNPACK)",
      backend: "wasm",
      setup: () => {
        registerWasmTrainingKernels();
      },
    },
    ...["conv", "gemm"].map((method) => ({
      label: `wasm + onnxruntime ${method} (all cores)`,
      backend: "wasm",
      setup: () => {
        registerWasmTrainingKernels();
        return tryEnableOnnxConvAccelerator({ threads: 0, method });
      },
      needs: "onnxruntime",
    })),
  ].filter((column) => selected(process.env.GQN_BENCH_COLUMNS, column.label));
  const rows = [];
  for (const shape of SHAPES.filter((s) => selected(process.env.GQN_BENCH_SHAPES, s.name))) {
    const { flops, dyShape } = flopsOf(shape);
    for (const kernel of KERNELS) rows.push({ shape, kernel, flops, dyShape, cells: {} });
  }
  // Engines side by side per row (not column by column), so that load from other processes on
  // a shared machine hits every engine of a row alike.
  for (const row of rows) {
    for (const column of columns) {
      await tf.setBackend(column.backend);
      const accelerator = column.setup();
      try {
        if (
          column.backend === "cpu" &&
          (!row.shape.cpu || (row.kernel === "filter grad" && !CPU_FILTER_GRAD))
        ) {
          row.cells[column.label] = "skipped (minutes)";
          continue;
        }
        if (column.needs && !accelerator) {
          row.cells[column.label] = "not installed";
          continue;
        }
        const t = {
          x: tf.randomUniform(row.shape.x, -1, 1, "float32", 1),
          filter: tf.randomUniform(
            [row.shape.k, row.shape.k, row.shape.x[3], row.shape.co],
            -0.1,
            0.1,
            "float32",
            2,
          ),
          dy: tf.randomUniform(row.dyShape, -1, 1, "float32", 3),
        };
        const ms = time(row.kernel, row.shape, t);
        tf.dispose(t);
        row.cells[column.label] = typeof ms === "string" ? ms : formatRate(row.flops / ms / 1e6);
        process.stderr.write(
          `${column.label} | ${row.shape.name} | ${row.kernel}: ${row.cells[column.label]}\n`,
        );
      } finally {
        accelerator?.disable();
      }
    }
  }
  registerWasmTrainingKernels();

  const header = ["convolution", "kernel", "GFLOP", ...columns.map((c) => c.label)];
  console.log(
    `\nConvolution throughput, GFLOP/s (best of ${REPS + 1}; one thread, onnxruntime on all cores)\n`,
  );
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of rows) {
    const kernel =
      row.kernel === "input grad / transposed" && row.shape.s > 1
        ? "input grad = conv2dTranspose"
        : row.kernel;
    const cells = columns.map((c) => row.cells[c.label] ?? "");
    console.log(`| ${row.shape.name} | ${kernel} | ${(row.flops / 1e9).toFixed(2)} | ${cells.join(" | ")} |`);
  }
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
