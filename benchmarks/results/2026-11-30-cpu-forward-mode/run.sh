#!/usr/bin/env bash
# The forward-mode figures of this folder's README, side by side in one run each (balancers interleaved step by step).
# From the repository root, on an idle machine: benchmarks/results/2026-11-30-cpu-forward-mode/run.sh
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-forward-mode
dotnet build src/Host -c Release -v q > /dev/null
nativemtl="dotnet src/Host/bin/Release/net10.0/nativemtl.dll"
# Class-wise: exact against forward mode at 4, 13 and 32 bins per auxiliary task (depth and normals auxiliary).
$nativemtl bench --model small --balancers "classwise[bins=13],classwise[mode=jvp;bins=4],classwise[mode=jvp;bins=13],classwise[mode=jvp;bins=32]" \
  --steps 10 --warmup 2 --json "$out/classwise.json" > "$out/classwise.txt" 2>&1
# AuxiLight with four auxiliary tasks: exact against forward mode.
$nativemtl bench --model small --tasks seg,depth,normal,curvature,coordinates --balancers "auxilight,auxilight[mode=jvp]" \
  --steps 10 --warmup 2 --json "$out/auxilight-four-auxiliary.json" > "$out/auxilight-four-auxiliary.txt" 2>&1
# The seeded comparisons are tests: λ after 20 steps (jvp against exact) and the noise class in both class-wise modes.
dotnet test tests/NativeMtl.Tests --filter "FullyQualifiedName~AuxiLightForwardModeTests|FullyQualifiedName~ClassWiseWeightsOfAPureNoiseClass|FullyQualifiedName~OneTangentPassGivesEveryTasksInnerProduct" \
  --logger "console;verbosity=normal" > "$out/seeded-tests.txt" 2>&1
