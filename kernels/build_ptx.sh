#!/usr/bin/env bash
# Builds kernels/ptx/<family>.ptx from every kernels/<family>.cu, for compute capability 8.0 (the driver
# JIT-compiles sm_80 PTX for newer GPUs such as sm_90).
#   build_ptx.sh           regenerate kernels/ptx/ with clang-16 (no CUDA SDK needed)
#   build_ptx.sh --check   regenerate into a temporary folder and fail on any difference from kernels/ptx/
#   build_ptx.sh --nvcc    build with nvcc -ptx -arch=compute_80 instead, into kernels/ptx-nvcc/ (not checked in:
#                          a smoke test of the nvcc path of prelude.cuh where the CUDA SDK exists)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="${1:-build}"

compile_clang() { # source, output
  clang-16 -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -O3 \
    -Xclang -target-feature -Xclang +ptx70 -std=c++20 -S "$1" -o "$2"
}

compile_nvcc() { # source, output
  nvcc -ptx -arch=compute_80 -std=c++17 -O3 "$1" -o "$2"
}

# Fails when the PTX would not load on its own: calls to functions the driver cannot resolve, or an
# architecture-specific target.
validate() { # ptx file
  if grep -q '\.extern \.func' "$1"; then
    echo "build_ptx.sh: $1 calls an external function (libdevice/libm): implement it in prelude.cuh" >&2
    grep '\.extern \.func' "$1" >&2
    return 1
  fi
  if grep -q 'sm_90a' "$1"; then
    echo "build_ptx.sh: $1 targets sm_90a; only portable sm_80 PTX is allowed" >&2
    return 1
  fi
}

build_into() { # compiler, output folder
  local compiler="$1" out="$2"
  mkdir -p "$out"
  for source in "$here"/*.cu; do
    local name; name="$(basename "$source" .cu)"
    "compile_$compiler" "$source" "$out/$name.ptx"
    validate "$out/$name.ptx"
  done
}

case "$mode" in
  build)
    rm -rf "$here/ptx"
    build_into clang "$here/ptx"
    echo "build_ptx.sh: wrote $(ls "$here/ptx" | wc -l) PTX files to kernels/ptx"
    ;;
  --check)
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    build_into clang "$tmp"
    if ! diff -r "$here/ptx" "$tmp" > "$tmp.diff"; then
      echo "build_ptx.sh --check: kernels/ptx is stale; run kernels/build_ptx.sh and commit the result" >&2
      head -n 40 "$tmp.diff" >&2
      rm -f "$tmp.diff"
      exit 1
    fi
    rm -f "$tmp.diff"
    echo "build_ptx.sh --check: kernels/ptx matches its sources"
    ;;
  --nvcc)
    build_into nvcc "$here/ptx-nvcc"
    echo "build_ptx.sh: wrote nvcc PTX to kernels/ptx-nvcc"
    ;;
  *)
    echo "usage: build_ptx.sh [--check | --nvcc]" >&2
    exit 2
    ;;
esac
