#!/usr/bin/env bash
# Installs the tools the tests use besides the engine: promtool (Debian's prometheus package). Idempotent.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  echo "[ensure-tools] installing prometheus (promtool) from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
