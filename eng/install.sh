#!/usr/bin/env bash
# Puts a self-contained `agent` on PATH (no .NET runtime needed to run it) in PREFIX/lib/agent and links PREFIX/bin/agent.
# PREFIX is $AGENT_PREFIX, else /usr/local as root, else ~/.local.
# The build is Native AOT (eng/publish-aot.sh: one native executable, no JIT; measured ~0.2-0.3 s to /readyz and ~53 MiB
# idle RSS, also once quiet after API load): it needs clang or gcc and zlib headers, installed with apt-get when missing
# and possible. Without them, or with AGENT_BUILD=r2r, it installs the ReadyToRun single-file build instead and says so:
# about 1.2 s of CPU to /readyz and ~125 MiB idle RSS (~145 MiB during and just after API load; measured with 20
# converged containers by bench/run.sh startup). Either takes minutes on 2 cores (AOT about 7 minutes of CPU,
# ReadyToRun about one).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${AGENT_PREFIX:-}" ]; then prefix=$AGENT_PREFIX
elif [ "$(id -u)" -eq 0 ]; then prefix=/usr/local
else prefix=$HOME/.local
fi
case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
staging=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$staging" "$log"' EXIT

build=${AGENT_BUILD:-aot}
if [ "$build" = aot ]; then
  echo "building the Native AOT agent for $rid (several minutes)..."
  if bash eng/publish-aot.sh "$staging" 2>"$log"; then
    why=""
  elif [ $? -eq 3 ]; then why=$(tail -n 1 "$log" | sed 's/^\[publish-aot\] //')
  else why="its publish failed: $(grep -m 1 -i 'error' "$log" || tail -n 1 "$log")"
  fi
  if [ -n "$why" ]; then
    echo "WARNING: NOT Native AOT: installing the ReadyToRun build because $why. It costs about 1 s more CPU to start and more than twice the idle RSS (~125 vs ~55 MiB; up to ~145 vs ~70 MiB just after API load)." >&2
    build=r2r
    rm -rf "$staging" && mkdir -p "$staging"
  fi
elif [ "$build" = r2r ]; then echo "AGENT_BUILD=r2r: installing the ReadyToRun build (not Native AOT)"
else echo "AGENT_BUILD must be aot or r2r, not '$build'" >&2; exit 2
fi
if [ "$build" = r2r ]; then
  echo "building the ReadyToRun single-file agent for $rid (about a minute)..."
  dotnet publish src/Agent -c Release -r "$rid" --self-contained -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false -p:DebugType=none \
    -o "$staging" -nologo -v quiet -clp:ErrorsOnly --disable-build-servers
fi
mkdir -p "$prefix/lib/agent" "$prefix/bin"
rm -rf "$prefix/lib/agent.new"
cp -r "$staging" "$prefix/lib/agent.new"
rm -rf "$prefix/lib/agent"
mv "$prefix/lib/agent.new" "$prefix/lib/agent"
ln -sfn "$prefix/lib/agent/agent" "$prefix/bin/agent"
echo "installed $prefix/bin/agent -> $prefix/lib/agent/agent ($([ "$build" = aot ] && echo "Native AOT" || echo "ReadyToRun, not Native AOT"))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
