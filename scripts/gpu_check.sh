#!/usr/bin/env bash
# Runs the GPU checks of the portable bundle on a CUDA machine (no .NET needed there) and writes every output
# to OUT_DIR: the machine's versions, `nativemtl check --device cuda`, and the same check under
# compute-sanitizer's memcheck and racecheck (the kernels with shared memory).
#   scripts/gpu_check.sh [BUNDLE.tar.xz] [OUT_DIR]      (defaults: artifacts/bundle/nativemtl-linux-x64.tar.xz, ./gpu-check)
# Each step has its own time limit and the script goes on after a failure, so one run reports everything.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${1:-$root/artifacts/bundle/nativemtl-linux-x64.tar.xz}"
out="${2:-$PWD/gpu-check}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xJf "$bundle" -C "$work"
nativemtl="$work/nativemtl-linux-x64/nativemtl"

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  nvcc --version 2>/dev/null | tail -n 2
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())' 2>/dev/null
  python3 -c 'import nvidia.cublas, os; print("cublas wheel", os.path.dirname(nvidia.cublas.__file__))' 2>/dev/null
} > "$out/versions.txt" 2>&1

step() { # name, seconds, command...
  local name="$1" seconds="$2"
  shift 2
  local start=$SECONDS
  timeout "$seconds" "$@" > "$out/$name.txt" 2>&1
  local code=$?
  echo "$name: exit $code after $((SECONDS - start)) s" | tee -a "$out/summary.txt"
}

sanitizer="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)"
step check 150 "$nativemtl" check --device cuda
if [[ -n "$sanitizer" ]]; then
  step memcheck 200 "$sanitizer" --tool memcheck --target-processes all "$nativemtl" check --device cuda
  step racecheck 150 "$sanitizer" --tool racecheck --target-processes all "$nativemtl" check --device cuda
else
  echo "compute-sanitizer: not found" | tee -a "$out/summary.txt"
fi
