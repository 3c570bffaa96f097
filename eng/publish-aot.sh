#!/usr/bin/env bash
# Publishes the agent as one Native AOT executable (no .NET runtime needed on the host, no JIT): OUT/agent
# (default OUT: artifacts/aot). Needs a C toolchain (gcc or clang) and zlib headers; about 5 minutes on 2 cores.
# The JIT build (`dotnet publish src/Agent -c Release`) stays the default; tests run against it.
# STATUS: the binary starts and serves /readyz, but is NOT yet a working agent: System.Text.Json's reflection resolver
# lacks native code for value-type properties (JsonPropertyInfo<ContainerState>: GET /api/v1/containers answers 500)
# and NJsonSchema's static constructor fails (Namotion.Reflection), so compose projects do not load. Next step: a
# source-generated JsonSerializerContext for the serialized records. `bash bench/run.sh "native aot"` publishes and
# checks it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-artifacts/aot}
if ! command -v gcc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq gcc zlib1g-dev >/dev/null
fi
dotnet publish src/Agent/Agent.csproj -c Release -r linux-x64 -p:PublishAot=true -o "$out" -v q -nologo
rm -f "$out"/*.dbg "$out"/*.pdb
echo "[publish-aot] $out/agent ($(du -h "$out/agent" | cut -f1))" >&2
