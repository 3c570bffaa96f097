#!/usr/bin/env bash
# Builds the agent's container image (tag: agent:local, or the first argument) from the Dockerfile.
# With a registry, the Dockerfile's own bases are used. Without one (this machine), it makes local stand-ins once:
# a Debian bookworm root filesystem (debootstrap) with the host's .NET SDK for the build stage, and the same
# filesystem for the final stage (the Native AOT agent needs no .NET runtime; the build stage apt-gets clang and
# zlib1g-dev into the SDK stand-in). Both trust the host's certificate authorities.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tag=${1:-agent:local}
bash eng/ensure-engine.sh
sdk=mcr.microsoft.com/dotnet/sdk:10.0
runtime=mcr.microsoft.com/dotnet/runtime-deps:10.0

if ! docker image inspect "$sdk" >/dev/null 2>&1 && ! docker pull -q "$sdk" >/dev/null 2>&1; then
  sdk=agent-base/dotnet-sdk:10.0
  runtime=agent-base/dotnet-runtime:10.0
  if ! docker image inspect "$sdk" "$runtime" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq debootstrap >/dev/null; }
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "[build-image] making a Debian bookworm base with debootstrap (about a minute)" >&2
    debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3 bookworm "$work/root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
      || { cat "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
    # Trust what this host trusts (NuGet may be reached through a proxy with its own root certificate).
    cp /etc/ssl/certs/ca-certificates.crt "$work/root/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$work/root/usr/share/dotnet"
    cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$work/root/usr/share/dotnet/"
    ln -sf /usr/share/dotnet/dotnet "$work/root/usr/bin/dotnet"
    env=(-c "ENV DOTNET_ROOT=/usr/share/dotnet" -c "ENV DOTNET_NOLOGO=1" -c "ENV DOTNET_CLI_TELEMETRY_OPTOUT=1")
    tar -C "$work/root" -c . | docker import "${env[@]}" - "$runtime" >/dev/null
    cp -a "$dotnet_root/sdk" "$dotnet_root/packs" "$dotnet_root/sdk-manifests" "$dotnet_root/templates" "$work/root/usr/share/dotnet/"
    tar -C "$work/root" -c . | docker import "${env[@]}" - "$sdk" >/dev/null
    echo "[build-image] made $sdk and $runtime" >&2
  fi
fi

DOCKER_BUILDKIT=0 docker build -q --force-rm --build-arg SDK_IMAGE="$sdk" --build-arg RUNTIME_IMAGE="$runtime" -t "$tag" .
echo "[build-image] built $tag" >&2
