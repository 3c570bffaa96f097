#!/usr/bin/env bash
# Publishes the agent as one Native AOT executable (no .NET runtime needed on the host, no JIT): OUT/agent
# (default OUT: artifacts/aot). Needs a C toolchain (gcc or clang) and zlib headers; about 5 minutes on 2 cores.
# The JIT build (`dotnet publish src/Agent -c Release`) stays the default; tests run against it.
# STATUS: every JSON the agent reads or writes (spec hashes, state files, every HTTP answer and problem+json, NDJSON
# streams, the CLI's output and request bodies) goes through source-generated contexts; reflection-based JSON is off in
# this build (and the HTTP API's options have no reflection resolver in the JIT build either). Compose files are checked
# by the agent's own schema validator and YAML goes through YamlDotNet's parser/emitter (no reflection serializer).
# `bash bench/run.sh "native aot"` publishes, smoke-checks it and measures start and RSS beside the JIT build.
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
