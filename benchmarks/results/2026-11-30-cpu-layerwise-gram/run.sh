#!/usr/bin/env bash
# The Gram-based balancers in both modes (option gram: matrix, the default, and layerwise) side by side, step time and
# step peak, on the CPU. From the repository root:
#   benchmarks/results/2026-11-30-cpu-layerwise-gram/run.sh small|reference
# small: three rounds of 20 timed steps on the small net; reference: one timed step (after one warm-up) on the
# reference net (dilated ResNet-50, 8×288×384), where a step takes minutes on 2 cores.
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-layerwise-gram
dotnet build src/Host -c Release -v q > /dev/null
nativemtl="dotnet src/Host/bin/Release/net10.0/nativemtl.dll"
case "${1:-small}" in
  small)
    balancers="auxilight,auxilight[gram=layerwise],pcgrad,pcgrad[gram=layerwise],mgda,mgda[gram=layerwise],gradsim,gradsim[gram=layerwise],nash_mtl,nash_mtl[gram=layerwise]"
    for round in 1 2 3; do
      $nativemtl bench --model small --balancers "$balancers" --steps 20 --warmup 3 --json "$out/small-$round.json" > "$out/small-$round.txt" 2>&1
    done ;;
  reference)
    $nativemtl bench --model reference --balancers "pcgrad,pcgrad[gram=layerwise]" --steps 1 --warmup 1 --json "$out/reference.json" > "$out/reference.txt" 2>&1 ;;
esac
