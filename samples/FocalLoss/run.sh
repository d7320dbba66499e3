#!/usr/bin/env bash
# The sample from zero to a trained run, against NativeMtl's packages only (no project references):
#   1. packs the engine (dotnet pack -c Release → artifacts/packages; NATIVEMTL_PACKED=1 skips it),
#   2. builds this solution and runs its tests against those packages (TEST_RESULTS=DIR also writes results.trx there),
#   3. installs the nativemtl tool from its package into ./tools,
#   4. trains with the plug-in: the seg_focal task and the inverse_loss balancer (a short run into ./runs/focal).
# Run from anywhere: samples/FocalLoss/run.sh
set -euo pipefail
sample=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$sample/../.." && pwd)
cd "$sample"
if [[ ${NATIVEMTL_PACKED:-0} != 1 ]]; then dotnet pack "$repo/NativeMtl.sln" -c Release -v q; fi
# Packages rebuilt under the same version must replace the ones unpacked before.
rm -rf packages/nativemtl.* tools runs
logger=()
if [[ -n ${TEST_RESULTS:-} ]]; then logger=(--logger "trx;LogFileName=results.trx" --results-directory "$TEST_RESULTS"); fi
dotnet test FocalLoss.slnx -c Release "${logger[@]}"
dotnet tool install NativeMtl.Tool --version 0.1.0 --tool-path tools
tools/nativemtl train --plugin src/FocalLoss/bin/Release/net10.0/FocalLoss.dll --balancer inverse_loss \
  --set "tasks={seg_focal: main, depth: auxiliary}" --set data.height=48 --set data.width=64 --set data.val_size=16 \
  --set training.steps=30 --set training.val_every=0 --out runs/focal
