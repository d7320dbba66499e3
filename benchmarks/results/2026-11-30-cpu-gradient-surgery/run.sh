#!/usr/bin/env bash
# Step time and memory of the Gram -> solve -> combine balancers beside AuxiLight exact (the same K backward passes)
# and Equal, on the small network on the CPU, three rounds in one sitting. From the repository root:
#   benchmarks/results/2026-11-30-cpu-gradient-surgery/run.sh
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-gradient-surgery
dotnet build src/Host -c Release -v q > /dev/null
balancers="auxilight,pcgrad,mgda,imtl,imtl[variant=h],cagrad,aligned_mtl,upgrad,gradvac,db_mtl,famo,gradsim"
for round in 1 2 3; do
  dotnet src/Host/bin/Release/net10.0/nativemtl.dll bench --model small --balancers "$balancers" --steps 20 --warmup 3 \
    --json "$out/round-$round.json" > "$out/round-$round.txt" 2>&1
done
