#!/usr/bin/env bash
# Puts a self-contained `agent` on PATH: publishes it (no .NET runtime needed to run it) into PREFIX/lib/agent and links
# PREFIX/bin/agent. PREFIX is $AGENT_PREFIX, else /usr/local as root, else ~/.local. Takes about a minute: ReadyToRun
# compiles the agent's assemblies ahead of time, so less is JIT-compiled at start (about a third less CPU to /readyz).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${AGENT_PREFIX:-}" ]; then prefix=$AGENT_PREFIX
elif [ "$(id -u)" -eq 0 ]; then prefix=/usr/local
else prefix=$HOME/.local
fi
case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
echo "building a self-contained agent for $rid (about a minute)..."
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
dotnet publish src/Agent -c Release -r "$rid" --self-contained -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false -p:DebugType=none \
  -o "$staging" -nologo -v quiet -clp:ErrorsOnly --disable-build-servers
mkdir -p "$prefix/lib/agent" "$prefix/bin"
rm -rf "$prefix/lib/agent.new"
cp -r "$staging" "$prefix/lib/agent.new"
rm -rf "$prefix/lib/agent"
mv "$prefix/lib/agent.new" "$prefix/lib/agent"
ln -sfn "$prefix/lib/agent/agent" "$prefix/bin/agent"
echo "installed $prefix/bin/agent -> $prefix/lib/agent/agent"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
