#!/usr/bin/env bash
# Runs the agent on manifests/: ensures a Docker engine and the demo images, builds, starts `agent run`.
# Extra arguments go to `agent run` (e.g. --urls http://127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "checking the Docker engine and the demo images..."
bash eng/ensure-engine.sh
echo "building the agent (about a minute the first time)..."
dotnet build src/Agent -c Release -nologo -v minimal -clp:NoSummary
echo "starting: agent run --manifests manifests $* (Ctrl+C stops the agent, the containers keep running)"
exec dotnet src/Agent/bin/Release/net10.0/agent.dll run --manifests manifests "$@"
