#!/usr/bin/env bash
# Publishes the agent as one Native AOT executable (no .NET runtime needed on the host, no JIT): OUT/agent
# (default OUT: artifacts/aot). Needs a C toolchain (gcc or clang) and zlib headers; about 5 minutes on 2 cores.
# The JIT build (`dotnet publish src/Agent -c Release`) stays the default; tests run against it.
# STATUS: the agent's records (spec hashes, state files, the HTTP API's named bodies) use source-generated JSON, compose
# files are checked by the agent's own schema validator (no NJsonSchema) and the CLI's YAML goes through YamlDotNet's
# emitter, so the known blockers of earlier publishes are gone; the HTTP API's anonymous acknowledgements and `agent
# render`'s spec still use reflection JSON. `bash bench/run.sh "native aot"` publishes and smoke-checks it.
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
