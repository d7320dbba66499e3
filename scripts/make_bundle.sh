#!/usr/bin/env bash
# Builds artifacts/bundle/nativemtl-linux-x64.tar.xz, a portable nativemtl for a (CUDA) machine without .NET:
#   nativemtl-linux-x64/nativemtl   launcher: sets DOTNET_ROOT to the bundled runtime and runs the app
#   nativemtl-linux-x64/app/        framework-dependent `dotnet publish` of src/Host (kernels' PTX embedded)
#   nativemtl-linux-x64/dotnet/     the `dotnet` host, host/fxr and shared/Microsoft.NETCore.App of this machine
# Then unpacks it into a clean temporary folder and runs `nativemtl check --device cuda` there with a PATH that
# has no dotnet: on a machine without a GPU that must print one line and exit with 3 (no usable device).
# The GPU libraries are not bundled: the NVIDIA driver, cuBLAS and cuDNN come from the target machine
# (system paths, NATIVEMTL_CUDA_LIBS, or NVIDIA's Python wheels).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name=nativemtl-linux-x64
out="$root/artifacts/bundle"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# The newest 10.x runtime installed, and the folder dotnet lives in.
runtime_line="$(dotnet --list-runtimes | grep '^Microsoft.NETCore.App 10\.' | sort -V | tail -n 1)"
[[ -n "$runtime_line" ]] || { echo "make_bundle.sh: no Microsoft.NETCore.App 10.x runtime installed" >&2; exit 1; }
runtime_version="$(echo "$runtime_line" | cut -d' ' -f2)"
dotnet_root="$(dirname "$(echo "$runtime_line" | sed 's/.*\[\(.*\)\]/\1/')")"
dotnet_root="$(dirname "$dotnet_root")"
fxr_version="$(ls "$dotnet_root/host/fxr" | sort -V | tail -n 1)"

bundle="$stage/$name"
dotnet publish "$root/src/Host/NativeMtl.Host.csproj" -c Release --self-contained false -p:UseAppHost=false -o "$bundle/app" -nologo -v quiet
mkdir -p "$bundle/dotnet/host/fxr" "$bundle/dotnet/shared/Microsoft.NETCore.App"
cp "$dotnet_root/dotnet" "$bundle/dotnet/"
cp -r "$dotnet_root/host/fxr/$fxr_version" "$bundle/dotnet/host/fxr/"
cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "$bundle/dotnet/shared/Microsoft.NETCore.App/"
for notice in LICENSE.txt ThirdPartyNotices.txt; do
  [[ -f "$dotnet_root/$notice" ]] && cp "$dotnet_root/$notice" "$bundle/dotnet/"
done
cat > "$bundle/nativemtl" <<'LAUNCHER'
#!/bin/sh
# Runs nativemtl on the .NET runtime that ships beside it; nothing outside this folder is needed but the GPU stack.
here="$(cd "$(dirname "$0")" && pwd)"
DOTNET_ROOT="$here/dotnet"
DOTNET_MULTILEVEL_LOOKUP=0
export DOTNET_ROOT DOTNET_MULTILEVEL_LOOKUP
exec "$here/dotnet/dotnet" "$here/app/nativemtl.dll" "$@"
LAUNCHER
chmod +x "$bundle/nativemtl"

mkdir -p "$out"
XZ_OPT="-6 -T0" tar -C "$stage" -cJf "$out/$name.tar.xz" "$name"
echo "make_bundle.sh: wrote artifacts/bundle/$name.tar.xz ($(du -h "$out/$name.tar.xz" | cut -f1); $(du -sh "$bundle" | cut -f1) unpacked; .NET $runtime_version)"

# Smoke test from a clean folder, with no dotnet on PATH and DOTNET_ROOT pointing into the bundle.
check="$(mktemp -d)"
trap 'rm -rf "$stage" "$check"' EXIT
tar -C "$check" -xJf "$out/$name.tar.xz"
# A PATH with only what the launcher uses (/usr/bin and /bin hold a dotnet here, so they stay out).
mkdir "$check/bin"
ln -s "$(command -v dirname)" "$check/bin/dirname"
if env -i PATH="$check/bin" /bin/sh -c 'command -v dotnet' > /dev/null; then
  echo "make_bundle.sh: the smoke test's PATH still finds a dotnet" >&2
  exit 1
fi
status=0
env -i HOME="$check" PATH="$check/bin" DOTNET_ROOT="$check/$name/dotnet" "$check/$name/nativemtl" check --device cuda > "$check/out.txt" 2>&1 || status=$?
cat "$check/out.txt"
if [[ $status -eq 3 && $(wc -l < "$check/out.txt") -eq 1 ]]; then
  echo "make_bundle.sh: the unpacked bundle runs without a system .NET (no GPU here: one line, exit 3)"
elif [[ $status -eq 0 ]]; then
  echo "make_bundle.sh: the unpacked bundle runs without a system .NET and its check passed on this GPU"
else
  echo "make_bundle.sh: the unpacked bundle's check exited with $status" >&2
  exit 1
fi
