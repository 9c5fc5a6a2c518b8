#!/usr/bin/env python3
"""A metric of main-job runs against wall-clock minutes, from their log.jsonl, as an SVG line chart.

Each run's periodic evaluations (`"split": "test"` records: one prior sample on one test batch,
every 200 steps; the untrained step 0 left out) are drawn against the minutes since its first record, so runs whose steps cost
differently compare at equal time. A dashed line marks a baseline given with --baseline.

    python3 plot-runs.py --metric objectPsnr --baseline 7.81 --out objects.svg \\
        "tower=runs/tower-10" "epipolar=runs/epipolar-10"

Standard library only, as plot-objects.py.
"""
import argparse, json, sys
from datetime import datetime

ap = argparse.ArgumentParser()
ap.add_argument("runs", nargs="+", help="NAME=RUN_DIR (a main-job or gqn-train run directory)")
ap.add_argument("--metric", default="psnr", help="a key of the test records: psnr, objectPsnr, objectIou...")
ap.add_argument("--baseline", type=float, help="drawn dashed, e.g. the context average's score")
ap.add_argument("--title", default=None)
ap.add_argument("--out", required=True)
a = ap.parse_args()

series = {}
for spec in a.runs:
    name, _, path = spec.partition("=")
    if not path:
        sys.exit(f"{spec}: expected NAME=RUN_DIR")
    records = [json.loads(line) for line in open(f"{path}/log.jsonl") if line.strip()]
    if not records:
        sys.exit(f"{path}/log.jsonl: no records")
    start = datetime.fromisoformat(records[0]["time"].replace("Z", "+00:00"))
    points = [((datetime.fromisoformat(r["time"].replace("Z", "+00:00")) - start).total_seconds() / 60, r[a.metric])
              for r in records if r.get("split") == "test" and r.get("step") and isinstance(r.get(a.metric), (int, float))]
    if not points:
        sys.exit(f"{path}/log.jsonl: no test records with {a.metric}")
    series[name] = points

title = a.title or f"{a.metric} of one prior sample on a test batch, against minutes of training"
W, H, L, R, T, B = 720, 400, 64, 16, 36, 48
xs = [x for pts in series.values() for x, _ in pts]
ys = [y for pts in series.values() for _, y in pts] + ([a.baseline] if a.baseline is not None else [])
x1 = max(xs)
step = 1 if max(ys) - min(ys) > 3 else 0.5 if max(ys) - min(ys) > 1 else 0.1
y0, y1 = (min(ys) // step) * step, (max(ys) // step + 1) * step
px = lambda x: L + x / x1 * (W - L - R)
py = lambda y: T + (y1 - y) / (y1 - y0) * (H - T - B)
colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
       f"<title>{title}</title>", f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="13" font-weight="bold">{title}</text>']
for m in range(0, int(x1) + 1, max(1, int(x1) // 10)):
    out += [f'<line x1="{px(m):.1f}" y1="{T}" x2="{px(m):.1f}" y2="{H - B}" stroke="#eee"/>',
            f'<text x="{px(m):.1f}" y="{H - B + 16}" text-anchor="middle">{m}</text>']
for i in range(round((y1 - y0) / step) + 1):
    y = y0 + step * i
    out += [f'<line x1="{L}" y1="{py(y):.1f}" x2="{W - R}" y2="{py(y):.1f}" stroke="#eee"/>',
            f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.{0 if step >= 1 else 1}f}</text>']
out += [f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#888"/>',
        f'<text x="{(L + W - R) / 2}" y="{H - 10}" text-anchor="middle">minutes of training</text>',
        f'<text transform="translate(16 {(T + H - B) / 2}) rotate(-90)" text-anchor="middle">{a.metric}</text>']
names = list(series)
if a.baseline is not None:
    out.append(f'<polyline fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4" points="{L},{py(a.baseline):.1f} {W - R},{py(a.baseline):.1f}"/>')
legend = H - B - 12 - 16 * (len(names) + (a.baseline is not None))  # bottom right: the curves rise
lx = W - R - 270
for i, name in enumerate(names):
    colour = colours[i % len(colours)]
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in series[name])
    out += [f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>',
            f'<line x1="{lx}" y1="{legend + 16 * i}" x2="{lx + 20}" y2="{legend + 16 * i}" stroke="{colour}" stroke-width="2"/>',
            f'<text x="{lx + 26}" y="{legend + 16 * i + 4}">{name}</text>']
if a.baseline is not None:
    i = len(names)
    out += [f'<line x1="{lx}" y1="{legend + 16 * i}" x2="{lx + 20}" y2="{legend + 16 * i}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>',
            f'<text x="{lx + 26}" y="{legend + 16 * i + 4}">context average (all 200 test queries)</text>']
out.append("</svg>")
open(a.out, "w").write("\n".join(out) + "\n")
print(f"{a.out}: {len(series)} runs, 0-{x1:.1f} min, {y0:.1f} to {y1:.1f}")
