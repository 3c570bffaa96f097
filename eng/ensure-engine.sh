#!/usr/bin/env bash
# Makes sure a Docker engine answers and the local images exist. Idempotent: on a machine that
# already has both it changes nothing. Nothing can be pulled here, so images are made locally.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=${AGENT_DOCKERD_LOG:-/var/log/agent-dockerd.log}

say() { echo "[ensure-engine] $*" >&2; }

ping_engine() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
  else
    curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx wget || missing+=(busybox-static)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_dockerd() {
  # A dockerd killed with the previous session leaves its pid file and socket behind.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "removing stale /var/run/docker.pid"; rm -f /var/run/docker.pid
  fi
  # Only the default engine's pid file counts: another dockerd on its own socket and data root (a second engine for a
  # test) is not the one that serves /var/run/docker.sock.
  if [ ! -f /var/run/docker.pid ]; then
    rm -f /var/run/docker.sock
    if ! pgrep -x containerd >/dev/null 2>&1; then rm -f /run/containerd/containerd.sock; fi
    # The stock address pools give about 30 bridge networks; the integration suite runs tests side by side, each
    # with its own networks, and exhausted them ("could not find an available, non-overlapping IPv4 address pool").
    # 10.240.0.0/12 in /20s gives 256, each of 4,094 addresses (the 1,000-container bench shares one network), unless the
    # host's daemon.json sets pools of its own.
    local pools=(--default-address-pool base=10.240.0.0/12,size=20)
    if grep -qs default-address-pools /etc/docker/daemon.json; then pools=(); fi
    say "starting dockerd (log: $log)"
    nohup dockerd "${pools[@]}" >>"$log" 2>&1 </dev/null &
    disown || true
  fi
  for _ in $(seq 1 120); do
    ping_engine && return 0
    sleep 0.5
  done
  say "dockerd did not answer within 60 s; last lines of $log:"; tail -n 20 "$log" >&2 || true
  return 1
}

if ! ping_engine; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    say "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to let this script start a local engine"; exit 1
  fi
  install_packages
  start_dockerd
fi
command -v busybox >/dev/null 2>&1 || install_packages
"$here/ensure-images.sh"
say "engine ready: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
