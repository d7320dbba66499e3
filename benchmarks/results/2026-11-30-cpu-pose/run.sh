#!/usr/bin/env bash
# Seed 000's pose task on the synthetic scenes (configs/pose.yaml, 800 steps of 8 crops of 64×64): no auxiliary
# tasks, Equal, GradSim, Auto-λ and AuxiLight, three seeds each, run one after another; then each balancer's step time
# and step peak side by side in one bench run. From the repository root:
#   benchmarks/results/2026-11-30-cpu-pose/run.sh [train|bench|summary]
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-pose
runs=${RUNS:-$out/runs}
# NATIVEMTL: a nativemtl to run instead of this checkout's build (a copy, so that building here meanwhile is safe).
if [[ -z ${NATIVEMTL:-} ]]; then dotnet build src/Host -c Release -v q > /dev/null; fi
nativemtl=${NATIVEMTL:-"dotnet src/Host/bin/Release/net10.0/nativemtl.dll"}
case "${1:-train}" in
  train)
    for seed in 0 1 2; do
      for setup in none equal gradsim autolambda auxilight; do
        folder=$runs/$setup-seed$seed
        [[ -f $folder/final_metrics.json ]] && continue
        mkdir -p "$runs"
        if [[ -d $folder ]]; then
          $nativemtl train --resume "$folder" >> "$folder.log" 2>&1   # a run stopped part-way goes on from its checkpoint
          continue
        fi
        if [[ $setup == none ]]; then extra=(--balancer equal --set "tasks={pose: main}"); else extra=(--balancer "$setup"); fi
        $nativemtl train --config configs/pose.yaml --seed "$seed" "${extra[@]}" --out "$folder" > "$folder.log" 2>&1
      done
    done ;;
  bench)
    $nativemtl bench --model pose --tasks pose --balancers equal --steps 20 --warmup 3 --json "$out/bench-none.json" > "$out/bench-none.txt" 2>&1
    $nativemtl bench --model pose --balancers equal,gradsim,autolambda,auxilight --steps 20 --warmup 3 --json "$out/bench.json" > "$out/bench.txt" 2>&1 ;;
  summary)
    python3 "$out/summarize.py" "$runs" > "$out/summary.md" ;;
esac
