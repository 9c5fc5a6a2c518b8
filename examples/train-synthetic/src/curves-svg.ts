/** One line of a {@link curvesSvg} chart. */
export interface CurveSeries {
  name: string;
  /** CSS colour. */
  color: string;
  points: ReadonlyArray<{ x: number; y: number }>;
  /** Dashed, e.g. for a baseline. */
  dashed?: boolean;
}

/** Options of {@link curvesSvg}. */
export interface CurvesSvgOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly CurveSeries[];
  width?: number;
  height?: number;
}

// "Nice" tick steps (1, 2, 5 x 10^k) so the axis labels read well.
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const nice = normalised < 1.5 ? 1 : normalised < 3.5 ? 2 : normalised < 7.5 ? 5 : 10;
  return nice * magnitude;
}

function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return value.toFixed(Math.min(decimals, 6));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A line chart as a standalone SVG document: training curves for the docs and the run directory.
 * Written by hand because it is one small function; a plotting library would pull a DOM or canvas
 * into a Node example for what is a few dozen lines of markup.
 */
export function curvesSvg(options: CurvesSvgOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const margin = { left: 64, right: 16, top: 36, bottom: 48 };
  const points = options.series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (points.length === 0) throw new Error(`curvesSvg: "${options.title}" has no finite points.`);
  const xMin = Math.min(...points.map((p) => p.x));
  let xMax = Math.max(...points.map((p) => p.x));
  let yMin = Math.min(...points.map((p) => p.y));
  let yMax = Math.max(...points.map((p) => p.y));
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const xStep = niceStep(xMax - xMin, 6);
  const yStep = niceStep(yMax - yMin, 5);
  yMin = Math.floor(yMin / yStep) * yStep;
  yMax = Math.ceil(yMax / yStep) * yStep;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const sy = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
    parts.push(
      `<line x1="${sx(x).toFixed(1)}" y1="${margin.top}" x2="${sx(x).toFixed(1)}" y2="${height - margin.bottom}" stroke="#eee"/>`,
      `<text x="${sx(x).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${formatTick(x, xStep)}</text>`,
    );
  }
  for (let y = yMin; y <= yMax + 1e-9; y += yStep) {
    parts.push(
      `<line x1="${margin.left}" y1="${sy(y).toFixed(1)}" x2="${width - margin.right}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${formatTick(y, yStep)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  // The legend sits at the top right, as wide as its longest name (about 6.6 px a character at
  // font-size 12), on white so the curves under it do not cross its text.
  const legendWidth = 30 + 6.6 * Math.max(...options.series.map((series) => series.name.length));
  const legendX = width - margin.right - 6 - legendWidth;
  const legend = [
    `<rect x="${legendX.toFixed(1)}" y="${margin.top + 2}" width="${legendWidth.toFixed(1)}" height="${options.series.length * 16 + 6}" fill="white" fill-opacity="0.85"/>`,
  ];
  options.series.forEach((series, index) => {
    const finite = series.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (finite.length > 0) {
      const path = finite.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
      const dash = series.dashed ? ` stroke-dasharray="6 4"` : "";
      parts.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="1.5"${dash} points="${path}"/>`,
      );
    }
    const ly = margin.top + 14 + index * 16;
    legend.push(
      `<line x1="${(legendX + 4).toFixed(1)}" y1="${ly - 4}" x2="${(legendX + 24).toFixed(1)}" y2="${ly - 4}" stroke="${series.color}" stroke-width="2"${series.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
      `<text x="${(legendX + 30).toFixed(1)}" y="${ly}">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push(...legend, "</svg>");
  return `${parts.join("\n")}\n`;
}
