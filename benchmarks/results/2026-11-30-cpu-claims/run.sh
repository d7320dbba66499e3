#!/usr/bin/env bash
# The seeds' claims on synthetic scenes: every sweep of configs/claims, one cell at a time, then their summaries
# (results.md/csv/html) copied here. From the repository root:
#   benchmarks/results/2026-11-30-cpu-claims/run.sh [train|bench|summary] [sweep names…]
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-claims
# NATIVEMTL: a nativemtl to run instead of this checkout's build (a copy, so that building here meanwhile is safe).
if [[ -z ${NATIVEMTL:-} ]]; then dotnet build src/Host -c Release -v q > /dev/null; fi
nativemtl=${NATIVEMTL:-"dotnet src/Host/bin/Release/net10.0/nativemtl.dll"}
what=${1:-train}; shift || true
sweeps=("${@:-scarce-data auxilight ial-noise classwise lsb}")
case "$what" in
  train)
    for sweep in ${sweeps[@]}; do $nativemtl sweep --config "configs/claims/$sweep.yaml"; done ;;
  bench)
    $nativemtl bench --balancers equal,auxilight,autolambda --height 48 --width 64 --steps 20 --warmup 3 --json "$out/bench.json" > "$out/bench.txt" 2>&1 ;;
  summary)
    for sweep in ${sweeps[@]}; do
      $nativemtl sweep --summarize "runs/claims/$sweep"
      mkdir -p "$out/$sweep"
      cp runs/claims/$sweep/results.{md,csv,html} "$out/$sweep/"
    done ;;
esac
