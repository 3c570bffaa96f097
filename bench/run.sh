#!/usr/bin/env bash
# Runs the benchmarks and prints a table: the agent beside the raw Engine API and docker-compose, in one run.
# bench/README.md lists every section, what it needs and how long it takes, and the environment variables
# (AGENT_BENCH_SCALE, AGENT_BENCH_SHIPPED, AGENT_BENCH_AGENT, AGENT_BENCH_AOT). Arguments pick sections by name:
# `bash bench/run.sh memory http`. The table goes to bench/results/<time>.txt, the agents' logs beside it (.agent.log).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash eng/ensure-engine.sh

# docker-compose is the peer of the converge sections, wrk drives the HTTP load: install them when missing, and say so.
missing=()
for tool in docker-compose wrk; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get: the bench compares the agent with docker-compose and loads its HTTP API with wrk"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null; }; }; then
    echo "error: could not install ${missing[*]} (apt-get install ${missing[*]}; as root, with Debian's package lists)." >&2
    echo "Install them and run again, or run the bench without them (sections that need them report n/a):" >&2
    echo "  dotnet run -c Release --project bench/Agent.Bench -- SECTION..." >&2
    exit 1
  fi
  for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: apt-get installed ${tool}'s package but no '$tool' command is on PATH" >&2; exit 1; }
  done
fi

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
export AGENT_BENCH_LOG="bench/results/$stamp.agent.log"
echo "results: bench/results/$stamp.txt; the agents' logs: $AGENT_BENCH_LOG"
dotnet run -c Release --project bench/Agent.Bench -- "$@" | tee "bench/results/$stamp.txt"
