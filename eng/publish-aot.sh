#!/usr/bin/env bash
# Publishes the agent as one Native AOT executable (no .NET runtime needed on the host, no JIT): OUT/agent
# (default OUT: artifacts/aot). This is the build eng/install.sh and the Dockerfile ship. It needs a C toolchain (clang
# or gcc) and zlib headers; as root with apt-get it installs them (clang zlib1g-dev) when missing. Exits 3, saying what
# is missing, when they cannot be had (eng/install.sh then falls back to ReadyToRun). About 7 minutes of CPU.
# Every JSON the agent reads or writes goes through source-generated contexts (reflection-based JSON is off in this
# build); compose files are checked by the agent's own schema validator and YAML goes through YamlDotNet's
# parser/emitter (no reflection serializer). `bash bench/run.sh "native aot"` publishes, smoke-checks it and measures it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-artifacts/aot}
case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac

missing() {
  local what=()
  command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || what+=("a C compiler and linker (clang or gcc)")
  command -v objcopy >/dev/null 2>&1 || what+=("objcopy (binutils)")
  [ -e /usr/include/zlib.h ] || what+=("zlib headers (zlib1g-dev)")
  local joined
  joined=$(printf '%s, ' "${what[@]}")
  echo "${joined%, }"
}
if [ -n "$(missing)" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[publish-aot] installing clang and zlib1g-dev (apt-get) for the Native AOT link" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq clang zlib1g-dev || { apt-get update -qq && apt-get install -y -qq clang zlib1g-dev; }; } >/dev/null 2>&1 || true
fi
if [ -n "$(missing)" ]; then
  echo "[publish-aot] cannot link a Native AOT binary: missing $(missing)" >&2
  exit 3
fi
dotnet publish src/Agent/Agent.csproj -c Release -r "$rid" -p:PublishAot=true -o "$out" -nologo -v quiet -clp:ErrorsOnly --disable-build-servers
rm -f "$out"/*.dbg "$out"/*.pdb
echo "[publish-aot] $out/agent ($(du -h "$out/agent" | cut -f1))" >&2
