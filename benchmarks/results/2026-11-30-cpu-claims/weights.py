"""What the claims need beyond `nativemtl sweep --summarize`: the task weights and weighted losses of each run, from
its metrics.jsonl, averaged over the last fifth of training and then over seeds.

  python3 weights.py runs/claims/lsb          the spread of the weighted losses w_k·L_k (max / min over tasks)
  python3 weights.py runs/claims/classwise    each auxiliary task's mean class weight at the end of training, and
                                             (--classes) every class weight from each run's last checkpoint
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

def class_weights(folder):
    """Per run, the class-wise balancer's class weights at its last checkpoint (safetensors read by hand)."""
    import glob, struct
    print("| run | class weights of the first auxiliary task | of the second | mean, first | mean, second | min, second | max, second |")
    print("|---|---|---|---:|---:|---:|---:|")
    for cell in json.load(open(os.path.join(folder, "sweep.json")))["cells"]:
        checkpoints = sorted(glob.glob(os.path.join(folder, cell["folder"], "checkpoints", "step-*.safetensors")))
        if not checkpoints:
            continue
        with open(checkpoints[-1], "rb") as f:
            size = struct.unpack("<Q", f.read(8))[0]
            entry = json.loads(f.read(size))["balancer.classwise.class_weights"]
            begin, end = entry["data_offsets"]
            f.seek(8 + size + begin)
            data = f.read(end - begin)
        code, width = ("f", 4) if entry["dtype"] == "F32" else ("d", 8)
        weights = struct.unpack(f"<{len(data) // width}{code}", data)
        half = len(weights) // 2
        first, second = weights[:half], weights[half:]
        print(f"| {', '.join(cell['overrides'])} | {' '.join(f'{w:.2f}' for w in first)} | {' '.join(f'{w:.2f}' for w in second)} | "
              f"{statistics.mean(first):.3f} | {statistics.mean(second):.3f} | {min(second):.3f} | {max(second):.3f} |")

if __name__ == "__main__":
    class_weights(sys.argv[1]) if "--classes" in sys.argv else main(sys.argv[1])
