"""Seed 001's Fig. 3 in shape: each strategy's segmentation mIoU (x, right is better) against its depth error
(y, drawn falling upwards, so top-right is better), mean ± std over the seeds, with the single-task runs as dotted
lines. Reads results.csv and prior/results.csv beside it, writes fig3.svg. Plain python3, no packages:
    python3 benchmarks/results/2026-11-30-cpu-auxiliary-search/fig3.py
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {  # compare.yaml's setups, in its order
    "tasks={seg: main}, model.auxiliary_modules=null": "Single-seg",
    "tasks={depth: main}, model.auxiliary_modules=null": "Single-depth",
    "model.auxiliary_modules=null": "Joint",
    "model.auxiliary_modules=null, model.deep_supervision={weight: 0.1}": "Deep supervision",
    "model.auxiliary_modules={channels: 32}": "Auxi-both",
    "model.auxiliary_modules.channels=32": "Auxi-NAS",
}
X, Y = ("seg", "miou"), ("depth", "abs_err")

rows = list(csv.DictReader(open(os.path.join(HERE, "results.csv"))))
def value(setup, task, metric):
    for r in rows:
        if r["setup"] == setup and r["task"] == task and r["metric"] == metric and r["mean"]:
            return float(r["mean"]), float(r["std"] or 0)
    return None

points = {NAMES[s]: (value(s, *X), value(s, *Y)) for s in NAMES}

# prior.yaml's runs are one setup each (each names its own seed's weights): pooled here by the task they start from.
import statistics
prior_rows = list(csv.DictReader(open(os.path.join(HERE, "prior", "results.csv"))))
for task in ("seg", "depth"):
    def pooled(t, m):
        v = [float(r["mean"]) for r in prior_rows if f"_{task}__main_" in r["setup"] and r["task"] == t and r["metric"] == m]
        return statistics.mean(v), statistics.stdev(v)
    points[f"Prior-{task}"] = (pooled(*X), pooled(*Y))
xs = [v[0] for p in points.values() for v in [p[0]] if v] ; ys = [v[0] for p in points.values() for v in [p[1]] if v]
x0, x1 = min(xs) - 0.01, max(xs) + 0.01
y0, y1 = min(ys) - 0.01, max(ys) + 0.01
W, H, M = 640, 440, 70
px = lambda x: M + (x - x0) / (x1 - x0) * (W - 2 * M)
py = lambda y: M + (y - y0) / (y1 - y0) * (H - 2 * M)  # lower error drawn higher
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect x="{M}" y="{M}" width="{W - 2 * M}" height="{H - 2 * M}" fill="none" stroke="#888"/>',
       f'<text x="{W / 2}" y="{H - 25}" text-anchor="middle">segmentation mIoU ↑ (mean ± std, 3 seeds)</text>',
       f'<text x="20" y="{H / 2}" text-anchor="middle" transform="rotate(-90 20 {H / 2})">depth abs. error ↓ (drawn upwards)</text>',
       f'<text x="{W / 2}" y="30" text-anchor="middle" font-size="14">Seed 001 Fig. 3 in shape: top-right is better</text>']
for i in range(5):
    x = x0 + (x1 - x0) * i / 4; y = y0 + (y1 - y0) * i / 4
    out.append(f'<text x="{px(x):.1f}" y="{H - M + 16}" text-anchor="middle">{x:.3f}</text>')
    out.append(f'<text x="{M - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3f}</text>')
if points["Single-seg"][0]:
    x = px(points["Single-seg"][0][0])
    out.append(f'<line x1="{x:.1f}" y1="{M}" x2="{x:.1f}" y2="{H - M}" stroke="#999" stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{M + 14}" fill="#666">Single-seg</text>')
if points["Single-depth"][1]:
    y = py(points["Single-depth"][1][0])
    out.append(f'<line x1="{M}" y1="{y:.1f}" x2="{W - M}" y2="{y:.1f}" stroke="#999" stroke-dasharray="4 3"/><text x="{M + 4}" y="{y - 4:.1f}" fill="#666">Single-depth</text>')
colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
for colour, name in zip(colours, ["Joint", "Deep supervision", "Auxi-both", "Auxi-NAS", "Prior-seg", "Prior-depth"]):
    (mx, sx), (my, sy) = points[name]
    cx, cy = px(mx), py(my)
    out.append(f'<line x1="{px(mx - sx):.1f}" y1="{cy:.1f}" x2="{px(mx + sx):.1f}" y2="{cy:.1f}" stroke="{colour}"/>')
    out.append(f'<line x1="{cx:.1f}" y1="{py(my - sy):.1f}" x2="{cx:.1f}" y2="{py(my + sy):.1f}" stroke="{colour}"/>')
    out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/><text x="{cx + 6:.1f}" y="{cy - 6:.1f}" fill="{colour}">{name}</text>')
out.append("</svg>")
open(os.path.join(HERE, "fig3.svg"), "w").write("\n".join(out) + "\n")
print("wrote", os.path.join(HERE, "fig3.svg"))
