#!/usr/bin/env bash
# Runs the benchmarks and prints a table: the agent beside the raw Engine API and docker-compose, in one run.
# Arguments pick sections by name: `bash bench/run.sh memory http`; `bash bench/run.sh git` measures webhook-to-applied latency.
# "memory" and "startup" measure the JIT build (dotnet agent.dll) and the build users get (eng/install.sh into a temporary
# prefix, once per run: Native AOT, or its ReadyToRun fallback) side by side; AGENT_BENCH_SHIPPED=/path/to/agent skips that
# install and measures the executable named.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash eng/ensure-engine.sh
for tool in docker-compose wrk; do
  command -v "$tool" >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq "$tool" >/dev/null; }
done
mkdir -p bench/results
dotnet run -c Release --project bench/Agent.Bench -- "$@" | tee "bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
