#!/usr/bin/env bash
# Our sgemm beside OpenBLAS on the same machine in one run: C = A·B, row-major N×N float, N = 256, 512, 1024.
# Both drivers validate their product first, then time (one warm-up, median of RUNS calls) and print one JSON
# line. The two alternate ROUNDS times per size and the table reports the median of each side's rounds, so that
# a passing load on the machine hits both alike.
#   benchmarks/peers/sgemm_vs_openblas.sh [ROUNDS] [RUNS]     (defaults 5 and 21; needs gcc and libopenblas-dev)
set -euo pipefail

rounds=${1:-5}
runs=${2:-21}
threads=${OPENBLAS_NUM_THREADS:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cblas_include=/usr/include/x86_64-linux-gnu
[[ -f $cblas_include/cblas.h ]] || cblas_include=/usr/include
gcc -O2 -I"$cblas_include" -o "$work/openblas_sgemm" "$root/benchmarks/peers/openblas_sgemm.c" -lopenblas -lm
dotnet build -c Release "$root/benchmarks/NativeMtl.Benchmarks" -o "$work/bench" --nologo -v quiet > "$work/build.log" \
    || { cat "$work/build.log"; exit 1; }

ours() { "$work/bench/NativeMtl.Benchmarks" sgemm-peer "$1" "$runs"; }
openblas() { OPENBLAS_NUM_THREADS=$threads "$work/openblas_sgemm" "$1" "$runs"; }
gflops() { sed -E 's/.*"gflops":([0-9.]+).*/\1/'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); OpenBLAS on $threads threads;" \
     "$rounds alternating rounds of $runs timed calls each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s  %18s  %18s  %7s\n' N "NativeMtl GFLOP/s" "OpenBLAS GFLOP/s" ratio
for n in 256 512 1024; do
    : > "$work/ours.$n"
    : > "$work/openblas.$n"
    for ((r = 0; r < rounds; r++)); do
        ours "$n" | gflops >> "$work/ours.$n"
        openblas "$n" | gflops >> "$work/openblas.$n"
    done
    o=$(median < "$work/ours.$n")
    b=$(median < "$work/openblas.$n")
    awk -v n="$n" -v o="$o" -v b="$b" 'BEGIN { printf "%6d  %18.1f  %18.1f  %6.0f%%\n", n, o, b, 100 * o / b }'
done
echo "rounds (GFLOP/s) ours: $(for n in 256 512 1024; do echo -n "$n: $(paste -sd' ' "$work/ours.$n"); "; done)"
echo "rounds (GFLOP/s) openblas: $(for n in 256 512 1024; do echo -n "$n: $(paste -sd' ' "$work/openblas.$n"); "; done)"
