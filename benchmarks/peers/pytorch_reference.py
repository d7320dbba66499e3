#!/usr/bin/env python3
"""PyTorch peer of `nativemtl bench --model reference`: the same network (torchvision's ResNet-50 with
replace_stride_with_dilation=[False, True, True] and one torchvision DeepLabHead per task), the same weights and
batch read from the safetensors file that `nativemtl bench --model reference --export FILE` writes, then

1. forward parity: evaluation-mode predictions against NativeMtl's (max relative error, must be below 1e-3);
2. one training step per balancer (equal, auxilight exact, ial, lsb) as LibMTL-style PyTorch eager code: the
   median of STEPS steps after WARMUP, and the step's peak device memory beyond model, optimizer and batch.

    python3 benchmarks/peers/pytorch_reference.py FILE [--steps 50] [--warmup 10] [--json OUT.json]

FP32 with TF32 off, as NativeMtl runs. Needs torch and torchvision (no safetensors package: the file is read here).
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


class Reference(nn.Module):
    """encoder.* = torchvision's ResNet-50 trunk (no avgpool/fc), heads.<task>.* = torchvision's DeepLabHead."""

    def __init__(self, tasks):
        super().__init__()
        self.encoder = torchvision.models.resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
        del self.encoder.fc
        self.heads = nn.ModuleDict({name: DeepLabHead(2048, channels) for name, channels in tasks})
        self.normal_tasks = {"normal"}

    def trunk(self, x):
        e = self.encoder
        return e.layer4(e.layer3(e.layer2(e.layer1(e.maxpool(e.relu(e.bn1(e.conv1(x))))))))

    def heads_forward(self, z, size):
        out = {}
        for name, head in self.heads.items():
            y = F.interpolate(head(z), size=size, mode="bilinear", align_corners=False)
            out[name] = F.normalize(y, dim=1, eps=1e-12) if name in self.normal_tasks else y
        return out

    def forward(self, x):
        z = self.trunk(x)
        return z, self.heads_forward(z, x.shape[-2:])


def task_losses(out, targets):
    seg = F.cross_entropy(out["seg"], targets["seg"].long(), ignore_index=-1)
    depth_valid = (targets["depth"] > 0).float()
    depth = (torch.abs(out["depth"] - targets["depth"]) * depth_valid).sum() / depth_valid.sum().clamp(min=1)
    normal_valid = (targets["normal"].abs().sum(1) > 0).float()
    cos = F.cosine_similarity(out["normal"], targets["normal"], dim=1)
    normal = ((1 - cos) * normal_valid).sum() / normal_valid.sum().clamp(min=1)
    return [seg, depth, normal]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")

    tensors, meta = read_safetensors(args.file)
    tasks = [(t.split(":")[0], int(t.split(":")[1])) for t in meta["tasks"].split(",")]
    model = Reference(tasks)
    state = {k: v for k, v in tensors.items() if k.startswith(("encoder.", "heads."))}
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
    parity = {}
    for name, _ in tasks:
        ours = tensors[f"output.{name}"].to(device)
        parity[name] = ((out[name] - ours).abs().max() / ours.abs().max()).item()
    print("forward parity (max |torch − nativemtl| / max |nativemtl|):", {k: f"{v:.2e}" for k, v in parity.items()})
    model.train()

    encoder = [p for p in model.encoder.parameters() if p.requires_grad]
    heads = {name: list(model.heads[name].parameters()) for name, _ in tasks}
    log_sigma = torch.full((len(tasks),), -0.5 * torch.log(torch.tensor(2.0)).item(), device=device, requires_grad=True)
    params = list(model.parameters()) + [log_sigma]
    optimizer = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
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
        head_params = [p for ps in heads.values() for p in ps]
        for p, gp in zip(head_params, torch.autograd.grad(total, head_params)):
            p.grad = gp
        state_lambda[1:] += 1e-3 * 0.1 * gram[0, 1:]

    def ial_step():
        z, out = model(x)
        losses = task_losses(out, targets)
        head_params = [p for ps in heads.values() for p in ps]
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

    results = []
    for name, body in [("equal", equal_step), ("auxilight", auxilight_step), ("ial", ial_step), ("lsb", lsb_step)]:
        try:
            times = []
            torch.cuda.synchronize()
            base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            for i in range(args.warmup + args.steps):
                optimizer.zero_grad(set_to_none=True)
                torch.cuda.synchronize()
                start = time.perf_counter()
                body()
                optimizer.step()
                torch.cuda.synchronize()
                if i >= args.warmup:
                    times.append((time.perf_counter() - start) * 1e3)
            peak = (torch.cuda.max_memory_allocated() - base) / 2**20
            results.append({"name": name, "median_ms": statistics.median(times), "step_peak_mib": peak})
        except Exception as e:
            print(f"{name}: failed: {type(e).__name__}: {e}")
    equal = next((r["median_ms"] for r in results if r["name"] == "equal"), None)
    print(f"{'balancer':<10} {'step ms':>9} {'ratio':>6} {'peak MiB':>9}")
    for r in results:
        r["ratio_to_equal"] = r["median_ms"] / equal if equal else None
        print(f"{r['name']:<10} {r['median_ms']:9.1f} {r['ratio_to_equal'] or 0:6.2f} {r['step_peak_mib']:9.1f}")
    report = {"device_name": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
              "cudnn": torch.backends.cudnn.version(), "forward_parity": parity, "balancers": results,
              "warmup_steps": args.warmup, "timed_steps": args.steps}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
