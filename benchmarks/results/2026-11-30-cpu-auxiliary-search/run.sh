#!/usr/bin/env bash
# Seed 001 in small: the auxiliary-module search, then its strategies side by side (three seeds each), the summary
# (results.md/csv/html) and the search's log copied here. From the repository root:
#   benchmarks/results/2026-11-30-cpu-auxiliary-search/run.sh [search|compare|prior|summary|all]
set -euo pipefail
out=benchmarks/results/2026-11-30-cpu-auxiliary-search
# NATIVEMTL: a nativemtl to run instead of this checkout's build (a copy, so that building here meanwhile is safe).
if [[ -z ${NATIVEMTL:-} ]]; then dotnet build src/Host -c Release -v q > /dev/null; fi
nativemtl=${NATIVEMTL:-"dotnet src/Host/bin/Release/net10.0/nativemtl.dll"}
what=${1:-all}
if [[ $what == search || $what == all ]]; then
  $nativemtl search --config configs/auxiliary-search/search.yaml | tee "$out/search.txt"
fi
if [[ $what == compare || $what == all ]]; then
  $nativemtl sweep --config configs/auxiliary-search/compare.yaml
fi
if [[ $what == prior || $what == all ]]; then
  $nativemtl sweep --config configs/auxiliary-search/prior.yaml    # reads compare's single-task runs
fi
if [[ $what == summary || $what == all ]]; then
  $nativemtl sweep --summarize runs/auxiliary-search/compare
  cp runs/auxiliary-search/compare/results.{md,csv,html} "$out/"
  $nativemtl sweep --summarize runs/auxiliary-search/prior
  mkdir -p "$out/prior" && cp runs/auxiliary-search/prior/results.{md,csv,html} "$out/prior/"
  cp runs/auxiliary-search/search/{search.jsonl,best.yaml} "$out/"
fi
