#!/usr/bin/env bash
# Every figure in this folder's README, side by side on one idle machine. From the repository root:
#   benchmarks/results/2026-11-30-cpu-memory/run.sh small|reference|reference-peer|equal-ab|flat
# (reference-peer: the export and PyTorch's part of reference alone.)
# "before" is the engine at e0c1310 (before the memory work), built in a worktree, so that the step-time ratio to
# PyTorch can be compared before and after in the same run. PyTorch: Debian's python3-torch (1.13, CPU).
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-memory
tmp=${TMPDIR:-/tmp}/nativemtl-memory
base=$tmp/before
mkdir -p "$tmp"
[[ -d $base ]] || git worktree add -f "$base" e0c1310 > /dev/null
dotnet build "$base/src/Host" -c Release -v q > /dev/null
dotnet build src/Host -c Release -v q > /dev/null
dotnet build benchmarks/NativeMtl.Benchmarks -c Release -v q > /dev/null
after="dotnet src/Host/bin/Release/net10.0/nativemtl.dll"
before="dotnet $base/src/Host/bin/Release/net10.0/nativemtl.dll"
peer="/usr/bin/python3 benchmarks/peers/pytorch_peer.py"

case "${1:-small}" in
  small)
    $after bench --model small --export "$tmp/small.safetensors"
    for round in 1 2 3; do
      $before bench --model small --balancers auxilight,ial,lsb --steps 20 --warmup 3 --json "$out/small-before-$round.json" > "$out/small-before-$round.txt" 2>&1
      $after bench --model small --balancers auxilight,autolambda,ial,lsb,gradsim --steps 20 --warmup 3 --json "$out/small-after-$round.json" > "$out/small-after-$round.txt" 2>&1
      $peer "$tmp/small.safetensors" --device cpu --threads 2 --steps 20 --warmup 3 --json "$out/small-pytorch-$round.json" > "$out/small-pytorch-$round.txt" 2>&1
    done ;;
  reference)
    $after bench --model reference --export "$tmp/reference.safetensors"
    $before bench --model reference --balancers equal --steps 1 --warmup 1 --json "$out/reference-before.json" > "$out/reference-before.txt" 2>&1
    $after bench --model reference --balancers equal --steps 1 --warmup 1 --json "$out/reference-after.json" > "$out/reference-after.txt" 2>&1
    $peer "$tmp/reference.safetensors" --device cpu --threads 2 --balancers equal --steps 1 --warmup 1 --json "$out/reference-pytorch.json" > "$out/reference-pytorch.txt" 2>&1 ;;
  reference-peer)
    $after bench --model reference --export "$tmp/reference.safetensors"
    $peer "$tmp/reference.safetensors" --device cpu --threads 2 --balancers equal --steps 1 --warmup 1 --json "$out/reference-pytorch.json" > "$out/reference-pytorch.txt" 2>&1 ;;
  equal-ab)
    # Equal alone, before and after in turn, ten times: the step-time comparison with the least else running.
    mkdir -p "$out/equal-ab"
    for round in $(seq 1 10); do
      $before bench --model small --balancers equal --steps 60 --warmup 5 --json "$out/equal-ab/before-$round.json" > /dev/null 2>&1
      $after bench --model small --balancers equal --steps 60 --warmup 5 --json "$out/equal-ab/after-$round.json" > /dev/null 2>&1
    done ;;
  flat)
    dotnet benchmarks/NativeMtl.Benchmarks/bin/Release/net10.0/NativeMtl.Benchmarks.dll memory-flat 10000 equal auxilight autolambda ial > "$out/flat.txt" 2> "$out/flat-progress.txt" ;;
esac
