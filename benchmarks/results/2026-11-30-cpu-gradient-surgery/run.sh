#!/usr/bin/env bash
# Step time and memory of the Gram -> solve -> combine balancers beside AuxiLight exact (the same K backward passes)
# and Equal, on the small network on the CPU, three rounds in one sitting. From the repository root:
#   benchmarks/results/2026-11-30-cpu-gradient-surgery/run.sh [later]
# (later: the balancers added after the first three rounds, beside AuxiLight exact again: later-{1,2,3}.*)
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-gradient-surgery
dotnet build src/Host -c Release -v q > /dev/null
balancers="auxilight,pcgrad,mgda,imtl,imtl[variant=h],cagrad,aligned_mtl,upgrad,gradvac,db_mtl,famo,gradsim"
name=round
if [[ "${1:-}" == later ]]; then
  balancers="auxilight,nash_mtl,pareto_mtl,graddrop"
  name=later
fi
for round in 1 2 3; do
  dotnet src/Host/bin/Release/net10.0/nativemtl.dll bench --model small --balancers "$balancers" --steps 20 --warmup 3 \
    --json "$out/$name-$round.json" > "$out/$name-$round.txt" 2>&1
done
