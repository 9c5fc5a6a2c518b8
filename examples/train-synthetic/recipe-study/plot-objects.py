#!/usr/bin/env python3
"""Object PSNR against steps, from objscore.py's output, as an SVG line chart.

Each input file is one objscore.py run: a "context average {...}" line, then "RUN STEP {...}"
lines. Every run is drawn relative to the context average of its own file (the same queries and
the same K), so that runs with different K share one axis; the dashed line at 0 is the average.

    python3 plot-objects.py --out objects.svg score-k5.txt score-k3.txt score-k8.txt

Standard library only: the study's machines have no plotting package, and an SVG of a few lines
is simpler to write than to install one.
"""
import argparse, json, re, sys

ap = argparse.ArgumentParser()
ap.add_argument("scores", nargs="+", help="objscore.py outputs")
ap.add_argument("--out", required=True)
ap.add_argument("--title", default="Object PSNR minus the context average's (mean of 8 prior renders, 200 test queries)")
a = ap.parse_args()

series = {}  # run -> [(step, object PSNR - its context average's)]
for path in a.scores:
    baseline = None
    for n, line in enumerate(open(path), 1):
        m = re.match(r"(context average|\S+ \d+) (\{.*\})$", line.strip())
        if not m:
            continue
        scores = json.loads(m.group(2))
        if m.group(1) == "context average":
            baseline = scores["obj"]
            continue
        if baseline is None:
            sys.exit(f"{path}:{n}: a run's scores before the context average's line")
        run, step = m.group(1).rsplit(" ", 1)
        series.setdefault(run, []).append((int(step), scores["obj"] - baseline))
if not series:
    sys.exit(f"no run scores in {', '.join(a.scores)}")

W, H, L, R, T, B = 720, 436, 64, 16, 36, 48
steps = [s for pts in series.values() for s, _ in pts]
values = [v for pts in series.values() for _, v in pts] + [0.0]
x0, x1 = 0, max(steps)
y0, y1 = (min(values) // 0.2) * 0.2, (max(values) // 0.2 + 1) * 0.2
px = lambda s: L + (s - x0) / (x1 - x0) * (W - L - R)
py = lambda v: T + (y1 - v) / (y1 - y0) * (H - T - B)
colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
       f"<title>{a.title}</title>", f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="13" font-weight="bold">{a.title}</text>']
tick = max(1000, (x1 // 6 // 1000) * 1000)
for s in range(tick, x1 + 1, tick):
    out += [f'<line x1="{px(s):.1f}" y1="{T}" x2="{px(s):.1f}" y2="{H - B}" stroke="#eee"/>',
            f'<text x="{px(s):.1f}" y="{H - B + 16}" text-anchor="middle">{s}</text>']
for i in range(round((y1 - y0) / 0.2) + 1):
    v = round(y0 + 0.2 * i, 1)  # whole tenths: no "-0.0" from accumulated float error
    out += [f'<line x1="{L}" y1="{py(v):.1f}" x2="{W - R}" y2="{py(v):.1f}" stroke="#eee"/>',
            f'<text x="{L - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{f"{v:+.1f}" if v else "0"}</text>']
out += [f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#888"/>',
        f'<text x="{(L + W - R) / 2}" y="{H - 10}" text-anchor="middle">training step (reference)</text>',
        f'<text transform="translate(16 {(T + H - B) / 2}) rotate(-90)" text-anchor="middle">object PSNR vs the context average (dB)</text>',
        f'<polyline fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4" points="{L},{py(0):.1f} {W - R},{py(0):.1f}"/>']
legend_y = T + 12
for i, (run, pts) in enumerate(series.items()):
    colour = colours[i % len(colours)]
    points = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in sorted(pts))
    out += [f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>',
            f'<line x1="{W - R - 150}" y1="{legend_y + 16 * i}" x2="{W - R - 130}" y2="{legend_y + 16 * i}" stroke="{colour}" stroke-width="2"/>',
            f'<text x="{W - R - 124}" y="{legend_y + 16 * i + 4}">{run}</text>']
out.append("</svg>")
open(a.out, "w").write("\n".join(out) + "\n")
print(f"{a.out}: {len(series)} runs, steps {x0}-{x1}, {y0:+.1f} to {y1:+.1f} dB")
