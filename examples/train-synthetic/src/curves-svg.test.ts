import { describe, expect, it } from "vitest";
import { curvesSvg } from "./curves-svg.js";

describe("curvesSvg", () => {
  const svg = curvesSvg({
    title: "test PSNR <dB>",
    xLabel: "step",
    yLabel: "dB",
    series: [
      {
        name: "model",
        color: "#1f77b4",
        points: [
          { x: 0, y: 10 },
          { x: 50, y: 15 },
          { x: 100, y: 20 },
        ],
      },
      {
        name: "mean image",
        color: "#d62728",
        dashed: true,
        points: [
          { x: 0, y: 12 },
          { x: 100, y: 12 },
        ],
      },
    ],
  });

  it("draws one polyline per series, scaled into the plot area", () => {
    const lines = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(lines).toHaveLength(2);
    const model = (lines[0] ?? "").split(" ").map((p) => p.split(",").map(Number));
    // x grows left to right, y (higher PSNR) upwards: smaller SVG y.
    expect(model[0]?.[0]).toBeLessThan(model[2]?.[0] ?? 0);
    expect(model[0]?.[1]).toBeGreaterThan(model[2]?.[1] ?? 0);
    expect(svg).toContain('stroke-dasharray="6 4"');
  });

  it("escapes text and labels the axes", () => {
    expect(svg).toContain("<title>test PSNR &lt;dB&gt;</title>"); // alternative text
    expect(svg).toMatch(/>step</);
    expect(svg.startsWith("<svg")).toBe(true);
  });

  it("refuses a chart with no finite points", () => {
    expect(() =>
      curvesSvg({
        title: "empty",
        xLabel: "x",
        yLabel: "y",
        series: [{ name: "a", color: "red", points: [{ x: 0, y: Number.NaN }] }],
      }),
    ).toThrow(/"empty" has no finite points/);
  });
});
