#!/usr/bin/env python3
"""PyTorch peer of `nativemtl bench`: the same network, weights and batch, read from the safetensors file that
`nativemtl bench --model small|reference --export FILE` writes, on the CPU or on CUDA.

Networks (chosen by the file's metadata):
- small: our resnet_small (3×3 stem, BasicBlocks that take a dilation, output stride 8) with a conv head per task;
- reference: torchvision's resnet50(replace_stride_with_dilation=[False, True, True]) with a DeepLabHead per task.

It checks forward parity (evaluation-mode predictions against NativeMtl's, max relative error below 1e-3), then
for each balancer (equal, auxilight exact, ial, lsb, written as LibMTL-style eager code) reports
- the median step time of STEPS steps after WARMUP (optimizer step included);
- the bytes saved for backward in one step, counted once per storage through
  torch.autograd.graph.saved_tensors_hooks (weights, inputs and targets included, as autograd holds them);
- on CUDA, the step's peak device memory beyond model, optimizer and batch (max_memory_allocated).

    /usr/bin/python3 benchmarks/peers/pytorch_peer.py FILE [--device cpu|cuda] [--threads N] [--steps 50] [--warmup 10] [--json OUT]

FP32 with TF32 off. Runs with Debian's torch 1.13 (CPU) and with torch 2.x (CUDA). Needs torch and torchvision;
the safetensors file is read here, without the safetensors package.
"""
import argparse, json, statistics, struct, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.segmentation.deeplabv3 import DeepLabHead

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    meta = header.pop("__metadata__", {})
    body = memoryview(data)[8 + size:]
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[entry["dtype"]]) if end > start else torch.empty(0, dtype=DTYPES[entry["dtype"]])
        tensors[name] = t.reshape(entry["shape"])
    return tensors, meta


class BasicBlock(nn.Module):
    """NativeMtl's BasicBlock: torchvision's, except that both 3×3 convolutions take a dilation."""

    def __init__(self, inp, planes, stride, dilation):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class SmallResNet(nn.Module):
    """NativeMtl's resnet_small: 3×3 stride-2 stem, max pool, BasicBlock stages; past the output stride a stage
    trades its stride for dilation, its first block keeping the previous dilation (torchvision's rule)."""

    def __init__(self, widths, blocks, output_stride=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels, stride, dilation = widths[0], 4, 1
        for i, (width, count) in enumerate(zip(widths, blocks)):
            block_stride, previous = (1 if i == 0 else 2), dilation
            if block_stride == 2 and stride == output_stride:
                dilation, block_stride = dilation * 2, 1
            stride *= block_stride
            layer = []
            for b in range(count):
                layer.append(BasicBlock(channels, width, block_stride if b == 0 else 1, previous if b == 0 else dilation))
                channels = width
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.stages = len(widths)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return x


def conv_head(inp, out):
    """NativeMtl's conv head: 3×3 conv + BN + ReLU, then a 1×1 conv with bias."""
    return nn.Sequential(nn.Conv2d(inp, inp, 3, 1, 1, bias=False), nn.BatchNorm2d(inp), nn.ReLU(inplace=True), nn.Conv2d(inp, out, 1))


class Peer(nn.Module):
    """encoder.* and heads.<task>.*, with NativeMtl's parameter names."""

    def __init__(self, meta, state, tasks):
        super().__init__()
        if meta["encoder"] == "resnet50":
            self.encoder = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
            del self.encoder.fc
            out = 2048
        elif meta["encoder"] == "resnet_small":
            stages = sorted({int(k.split(".")[1][5:]) for k in state if k.startswith("encoder.layer")})
            blocks = [len({k.split(".")[2] for k in state if k.startswith(f"encoder.layer{s}.")}) for s in stages]
            widths = [state[f"encoder.layer{s}.0.conv1.weight"].shape[0] for s in stages]
            self.encoder = SmallResNet(widths, blocks)
            out = widths[-1]
        else:
            sys.exit(f"unknown encoder {meta['encoder']}")
        make = {"aspp": lambda c: DeepLabHead(out, c), "conv": lambda c: conv_head(out, c)}[meta["head"]]
        self.heads = nn.ModuleDict({name: make(channels) for name, channels in tasks})

    def trunk(self, x):
        e = self.encoder
        if isinstance(e, SmallResNet):
            return e(x)
        return e.layer4(e.layer3(e.layer2(e.layer1(e.maxpool(e.relu(e.bn1(e.conv1(x))))))))

    def forward(self, x):
        z = self.trunk(x)
        out = {}
        for name, head in self.heads.items():
            y = F.interpolate(head(z), size=x.shape[-2:], mode="bilinear", align_corners=False)
            out[name] = F.normalize(y, dim=1, eps=1e-12) if name == "normal" else y
        return z, out


def task_losses(out, targets):
    seg = F.cross_entropy(out["seg"], targets["seg"].long(), ignore_index=-1)
    depth_valid = (targets["depth"] > 0).float()
    depth = (torch.abs(out["depth"] - targets["depth"]) * depth_valid).sum() / depth_valid.sum().clamp(min=1)
    normal_valid = (targets["normal"].abs().sum(1) > 0).float()
    cos = F.cosine_similarity(out["normal"], targets["normal"], dim=1)
    normal = ((1 - cos) * normal_valid).sum() / normal_valid.sum().clamp(min=1)
    return [seg, depth, normal]


def storage_of(t):
    return t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()


def saved_bytes(body):
    """Bytes of every storage autograd saves during one call of body, each storage once. The storages are kept
    until the count is done, so a freed address cannot be taken again by another saved tensor and hide it."""
    seen = {}

    def pack(t):
        s = storage_of(t)
        seen[s.data_ptr()] = (s, s.nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        body()
    total = sum(n for _, n in seen.values())
    return total, len(seen)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--balancers", default="equal,auxilight,ial,lsb")
    parser.add_argument("--json")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    else:
        import os
        torch.set_num_threads(args.threads or os.cpu_count())

    tensors, meta = read_safetensors(args.file)
    tasks = [(t.split(":")[0], int(t.split(":")[1])) for t in meta["tasks"].split(",")]
    state = {k: v for k, v in tensors.items() if k.startswith(("encoder.", "heads."))}
    model = Peer(meta, state, tasks)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"weights do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model = model.to(device)
    x = tensors["input"].to(device)
    targets = {name: tensors[f"target.{name}"].to(device) for name, _ in tasks}

    model.eval()
    with torch.no_grad():
        _, out = model(x)
    parity = {name: ((out[name] - tensors[f"output.{name}"].to(device)).abs().max() / tensors[f"output.{name}"].abs().max()).item() for name, _ in tasks}
    print("forward parity (max |torch − nativemtl| / max |nativemtl|):", {k: f"{v:.2e}" for k, v in parity.items()})
    if any(v > 1e-3 for v in parity.values()):
        sys.exit("forward parity fails: the two networks differ")
    model.train()

    encoder = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for name, _ in tasks for p in model.heads[name].parameters()]
    log_sigma = torch.full((len(tasks),), -0.5 * torch.log(torch.tensor(2.0)).item(), device=device, requires_grad=True)
    optimizer = torch.optim.SGD(list(model.parameters()) + [log_sigma], lr=1e-3, momentum=0.9)
    state_lambda = torch.ones(len(tasks), device=device)

    def equal_step():
        _, out = model(x)
        sum(task_losses(out, targets)).backward()

    def auxilight_step():
        _, out = model(x)
        losses = task_losses(out, targets)
        grads = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(l, encoder, retain_graph=True)]) for l in losses]
        g = torch.stack(grads)
        gram = g @ g.T
        combined = (state_lambda[:, None] * g).sum(0)
        offset = 0
        for p in encoder:
            p.grad = combined[offset:offset + p.numel()].view_as(p).clone()
            offset += p.numel()
        total = sum(w * l for w, l in zip(state_lambda, losses))
        for p, gp in zip(head_params, torch.autograd.grad(total, head_params)):
            p.grad = gp
        state_lambda[1:] += 1e-3 * 0.1 * gram[0, 1:]

    def ial_step():
        z, out = model(x)
        losses = task_losses(out, targets)
        zg = [torch.autograd.grad(l, z, retain_graph=True)[0] for l in losses]
        weights = 0.5 * torch.exp(-2 * log_sigma.detach())
        decoder = sum(w * l for w, l in zip(weights, losses))
        for p, gp in zip(head_params, torch.autograd.grad(decoder, head_params, retain_graph=True)):
            p.grad = gp
        (0.5 * torch.exp(-2 * log_sigma) * torch.stack([l.detach() for l in losses]) + log_sigma).sum().backward()
        r = (1 - torch.exp(log_sigma.detach())).clamp(0, 1)
        main_norm = zg[0].norm()
        g = zg[0] + sum(r[t] * main_norm / zg[t].norm().clamp(min=1e-30) * zg[t] for t in range(1, len(zg)))
        z.backward(g)

    def lsb_step():
        _, out = model(x)
        weights = torch.full((len(tasks),), 1.0 / len(tasks), device=device)
        sum(w * l for w, l in zip(weights, task_losses(out, targets))).backward()

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    bodies = {"equal": equal_step, "auxilight": auxilight_step, "ial": ial_step, "lsb": lsb_step}
    names = [n for n in args.balancers.split(",") if n]
    unknown = [n for n in names if n not in bodies]
    if unknown:
        sys.exit(f"unknown balancers {unknown} (known: {list(bodies)})")
    results = []
    for name in names:
        body = bodies[name]
        optimizer.zero_grad(set_to_none=True)
        saved, storages = saved_bytes(body)
        optimizer.step()
        times = []
        sync()
        base = torch.cuda.memory_allocated() if args.device == "cuda" else 0
        if args.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for i in range(args.warmup + args.steps):
            optimizer.zero_grad(set_to_none=True)
            sync()
            start = time.perf_counter()
            body()
            optimizer.step()
            sync()
            if i >= args.warmup:
                times.append((time.perf_counter() - start) * 1e3)
        row = {"name": name, "median_ms": statistics.median(times), "saved_bytes": saved, "saved_storages": storages}
        if args.device == "cuda":
            row["step_peak_mib"] = (torch.cuda.max_memory_allocated() - base) / 2**20
        results.append(row)
    equal = next((r["median_ms"] for r in results if r["name"] == "equal"), None)
    print(f"{'balancer':<10} {'step ms':>9} {'ratio':>6} {'saved MiB':>10} {'storages':>9}" + (f" {'peak MiB':>9}" if args.device == "cuda" else ""))
    for r in results:
        r["ratio_to_equal"] = r["median_ms"] / equal if equal else None
        line = f"{r['name']:<10} {r['median_ms']:9.1f} {r['ratio_to_equal'] or 0:6.2f} {r['saved_bytes'] / 2**20:10.1f} {r['saved_storages']:9d}"
        print(line + (f" {r['step_peak_mib']:9.1f}" if args.device == "cuda" else ""))
    report = {"device": args.device, "torch": torch.__version__, "threads": torch.get_num_threads(),
              "model": {"encoder": meta["encoder"], "head": meta["head"], "input": list(x.shape)},
              "forward_parity": parity, "balancers": results, "warmup_steps": args.warmup, "timed_steps": args.steps}
    if args.device == "cuda":
        report.update({"device_name": torch.cuda.get_device_name(), "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
