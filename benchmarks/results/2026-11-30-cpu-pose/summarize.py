"""Summarises the pose runs (run.sh train) and the step bench (run.sh bench) as seed 000's Tables 1, 3 and 5 in shape:
per setup, mean ± std over seeds of each pose metric, then step time and step peak from one side-by-side bench run."""
import json, statistics, sys
from pathlib import Path

runs = Path(sys.argv[1])
here = Path(__file__).parent
setups = ["none", "equal", "gradsim", "autolambda", "auxilight"]
metrics = [("add_s_01d", "ADD(-S) < 0.1d ↑", 100, "%"), ("rotation_error", "rotation error ↓", 1, "°"),
           ("translation_error", "translation error ↓", 100, "cm"), ("pnp_misses", "PnP misses ↓", 100, "%"),
           ("loss", "pose loss ↓", 1, "coordinates L1 m + mask CE")]

def fmt(values, scale, digits):
    values = [v * scale for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (1 seed)"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"

print("| setup | seeds | " + " | ".join(f"{name} ({unit})" for _, name, _, unit in metrics) + " |")
print("|---|---|" + "---|" * len(metrics))
for setup in setups:
    finals = [json.loads(p.read_text())["metrics"]["pose"] for p in sorted(runs.glob(f"{setup}-seed*/final_metrics.json"))]
    if not finals:
        continue
    cells = [fmt([f[key] for f in finals], scale, 4 if key == "loss" else 2) for key, _, scale, _ in metrics]
    print(f"| {setup} | {len(finals)} | " + " | ".join(cells) + " |")

bench = {}
for name in ["bench-none.json", "bench.json"]:
    path = here / name
    if path.exists():
        for b in json.loads(path.read_text())["balancers"]:
            bench["none" if name == "bench-none.json" else b["name"]] = b
if bench:
    equal = bench.get("equal")
    print()
    print("| setup | step ms (median) | / Equal | step peak MiB | / Equal |")
    print("|---|---|---|---|---|")
    for setup in setups:
        if setup in bench:
            b = bench[setup]
            print(f"| {setup} | {b['median_ms']:.1f} | {b['median_ms'] / equal['median_ms']:.2f} | {b['step_peak_mib']:.1f} | {b['step_peak_mib'] / equal['step_peak_mib']:.2f} |")
