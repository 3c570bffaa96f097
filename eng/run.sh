#!/usr/bin/env bash
# Runs the agent on manifests/: ensures a Docker engine and the demo images, builds, starts `agent run`.
# Extra arguments go to `agent run` (e.g. --urls http://127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash eng/ensure-engine.sh
dotnet build src/Agent -c Release -v quiet -nologo
exec dotnet src/Agent/bin/Release/net10.0/agent.dll run --manifests manifests "$@"
