#!/usr/bin/env bash
# Runs the benchmarks and prints a table: the agent beside the raw Engine API and docker-compose, in one run.
# Arguments pick sections by name: `bash bench/run.sh memory http`; `bash bench/run.sh git` measures webhook-to-applied latency.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash eng/ensure-engine.sh
for tool in docker-compose wrk; do
  command -v "$tool" >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq "$tool" >/dev/null; }
done
mkdir -p bench/results
dotnet run -c Release --project bench/Agent.Bench -- "$@" | tee "bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
