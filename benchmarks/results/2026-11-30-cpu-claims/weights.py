"""What the claims need beyond `nativemtl sweep --summarize`: the task weights and weighted losses of each run, from
its metrics.jsonl, averaged over the last fifth of training and then over seeds.

  python3 weights.py runs/claims/lsb          the spread of the weighted losses w_k·L_k (max / min over tasks)
  python3 weights.py runs/claims/classwise    each auxiliary task's mean class weight at the end of training
"""
import json, os, statistics, sys

def runs(folder):
    for cell in json.load(open(os.path.join(folder, "sweep.json")))["cells"]:
        path = os.path.join(folder, cell["folder"], "metrics.jsonl")
        if not os.path.exists(os.path.join(folder, cell["folder"], "final_metrics.json")):
            continue
        lines = [json.loads(l) for l in open(path) if l.strip()]
        train = [l for l in lines if l["type"] == "train"]
        setup = ", ".join(o for o in cell["overrides"] if not o.startswith("seed="))
        yield setup, train[len(train) * 4 // 5:]

def ratio(values):
    values = list(values)
    return max(values) / min(values) if min(values) > 0 else float("inf")

def spread(values):
    if any(v == float("inf") for v in values):
        return "∞ (a weight of 0)"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"

def main(folder):
    groups = {}
    for setup, tail in runs(folder):
        tasks = list(tail[0]["loss"])
        if len(tasks) == 1:
            continue
        weighted = {t: statistics.mean(l["loss"][t] * l["weight"][t] for l in tail) for t in tasks}
        losses = {t: statistics.mean(l["loss"][t] for l in tail) for t in tasks}
        weights = {t: statistics.mean(l["weight"][t] for l in tail) for t in tasks}
        g = groups.setdefault(setup, {"spread": [], "raw": [], "weights": {t: [] for t in tasks}, "weighted": {t: [] for t in tasks}})
        g["spread"].append(ratio(weighted.values()))
        g["raw"].append(ratio(losses.values()))
        for t in tasks:
            g["weights"][t].append(weights[t])
            g["weighted"][t].append(weighted[t])
    tasks = list(next(iter(groups.values()))["weights"])
    print(f"| setup | seeds | max/min of w·L over tasks | max/min of L | " + " | ".join(f"w {t}" for t in tasks) + " | " + " | ".join(f"w·L {t}" for t in tasks) + " |")
    print("|---|---:|---:|---:|" + "---:|" * (2 * len(tasks)))
    for setup, g in groups.items():
        print(f"| {setup} | {len(g['spread'])} | {spread(g['spread'])} | {spread(g['raw'])} | "
              + " | ".join(spread(g["weights"][t]) for t in tasks) + " | " + " | ".join(spread(g["weighted"][t]) for t in tasks) + " |")

if __name__ == "__main__":
    main(sys.argv[1])
